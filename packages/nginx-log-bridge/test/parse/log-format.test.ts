import t from 'tap';
import { BridgeError } from '../../src/errors.js';
import { compileLogFormat, unescapeNginx } from '../../src/parse/log-format.js';
import { COMBINED_FORMAT, INGRESS_NGINX_FORMAT } from '../../src/parse/presets.js';
import { fixtureLines } from '../helpers/fixtures.js';

t.test('combined format parses every fixture line, including XFF lists and an empty request', async (t) => {
  const parser = compileLogFormat(COMBINED_FORMAT);
  const lines = fixtureLines('combined.log');
  const records = lines.map((l) => parser.parse(l));
  t.ok(records.every((r) => r.ok));
  const r3 = records[3];
  t.ok(r3.ok);
  if (r3.ok) {
    t.equal(r3.record.remote_addr, '10.0.0.2, 10.0.0.1, 127.0.0.1');
    t.equal(r3.record.request, 'GET /ocelot HTTP/1.1');
    t.equal(r3.record.time_local, '07/Dec/2016:11:05:07 +0100');
  }
  const r4 = records[4];
  if (r4.ok) {
    t.equal(r4.record.request, '');
    t.equal(r4.record.status, '400');
  }
  t.same(parser.variables, [
    'remote_addr',
    'remote_user',
    'time_local',
    'request',
    'status',
    'body_bytes_sent',
    'http_referer',
    'http_user_agent',
  ]);
});

t.test('ingress-nginx format splits upstream lists with spaces', async (t) => {
  const parser = compileLogFormat(INGRESS_NGINX_FORMAT);
  const lines = fixtureLines('ingress-nginx-upstreaminfo.log');
  const results = lines.map((l) => parser.parse(l));
  t.equal(results.filter((r) => r.ok).length, lines.length);
  const retry = results[5];
  t.ok(retry.ok);
  if (retry.ok) {
    t.equal(retry.record.upstream_addr, '172.17.0.6:8080, 172.17.0.7:8080');
    t.equal(retry.record.upstream_response_length, '61, 100');
    t.equal(retry.record.upstream_response_time, '0.100, 0.004');
    t.equal(retry.record.upstream_status, '200, 203');
    t.equal(retry.record.req_id, '835136ae24486dbb4156dcbe21f5d402');
    t.equal(retry.record.proxy_upstream_name, 'default-web2-8080');
    t.equal(retry.record.proxy_alternative_upstream_name, '');
  }
  const v6 = results[6];
  if (v6.ok) t.equal(v6.record.upstream_addr, '[2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000');
  const none = results[4];
  if (none.ok) {
    t.equal(none.record.upstream_addr, '-');
    t.equal(none.record.request, 'PATCHp /products/42 HTTP/1.1');
  }
  const unix = results[7];
  if (unix.ok) t.equal(unix.record.upstream_addr, 'unix:/var/run/php-fpm.sock');
});

t.test('any log_format: nginx.conf quoting, braced names, unknown variables and $msec', async (t) => {
  const parser = compileLogFormat(
    `log_format trace '$remote_addr [$time_iso8601] "$request" $status $msec '\n  '"$http_traceparent" \${request_id}-x $ssl_protocol/$ssl_cipher "$my_custom var"';`,
  );
  t.same(parser.variables, [
    'remote_addr',
    'time_iso8601',
    'request',
    'status',
    'msec',
    'http_traceparent',
    'request_id',
    'ssl_protocol',
    'ssl_cipher',
    'my_custom',
  ]);
  const r = parser.parse(
    '10.1.2.3 [2024-05-01T10:00:00+00:00] "GET /a?b=1 HTTP/2.0" 200 1714557600.123 "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" abc-x TLSv1.3/TLS_AES_128_GCM_SHA256 "hello world var"',
  );
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.record.msec, '1714557600.123');
    t.equal(r.record.request_id, 'abc');
    t.equal(r.record.ssl_protocol, 'TLSv1.3');
    t.equal(r.record.ssl_cipher, 'TLS_AES_128_GCM_SHA256');
    t.equal(r.record.my_custom, 'hello world');
    t.equal(r.record.http_traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  }
});

t.test('upstream lists followed by free-form variables keep their items together', async (t) => {
  // ingress-nginx's format with $msec and the TLS variables after $req_id: without a rule, the
  // list "a, b" could be read as the item "a," and shift every later field by one
  const parser = compileLogFormat(
    '$remote_addr [$time_local] "$request" $status [$proxy_upstream_name] $upstream_addr ' +
      '$upstream_response_length $upstream_response_time $upstream_status $req_id $msec ' +
      '$upstream_connect_time $upstream_header_time $ssl_protocol $ssl_cipher "$ssl_client_verify"',
  );
  const r = parser.parse(
    '127.0.0.1 [07/Dec/2026:03:59:34 +0000] "GET /dispatch HTTP/1.1" 200 [hotrod-frontend-8080] ' +
      '127.0.0.2:8080, 127.0.0.3:8080 0, 40 0.000, 1.329 502, 200 060251293cfe914b2627cdf33fc24b72 ' +
      '1796615974.726 -, 0.000 -, 1.329 - - "-"',
  );
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.record.upstream_addr, '127.0.0.2:8080, 127.0.0.3:8080');
    t.equal(r.record.upstream_response_length, '0, 40');
    t.equal(r.record.upstream_response_time, '0.000, 1.329');
    t.equal(r.record.upstream_status, '502, 200');
    t.equal(r.record.req_id, '060251293cfe914b2627cdf33fc24b72');
    t.equal(r.record.msec, '1796615974.726');
    t.equal(r.record.upstream_connect_time, '-, 0.000');
    t.equal(r.record.upstream_header_time, '-, 1.329');
    t.equal(r.record.ssl_protocol, '-');
    t.equal(r.record.ssl_cipher, '-');
  }
  const tls = parser.parse(
    '127.0.0.1 [07/Dec/2026:03:59:35 +0000] "GET /dispatch HTTP/1.1" 200 [hotrod-frontend-8080] ' +
      '127.0.0.2:8080 40 1.517 200 1db11a5dd40826388cba92cf44b7ea8c 1796615975.777 0.001 1.517 ' +
      'TLSv1.3 TLS_AES_256_GCM_SHA384 "SUCCESS"',
  );
  t.ok(tls.ok);
  if (tls.ok) {
    t.equal(tls.record.ssl_protocol, 'TLSv1.3');
    t.equal(tls.record.ssl_client_verify, 'SUCCESS');
  }
});

t.test('nginx \\xHH escapes are decoded as UTF-8', async (t) => {
  t.equal(unescapeNginx('a\\x22b\\xC3\\xA9'), 'a"bé');
  t.equal(unescapeNginx('plain'), 'plain');
  const parser = compileLogFormat('"$request" $status');
  const r = parser.parse('"GET /\\x22q\\x22 HTTP/1.1" 200');
  t.ok(r.ok && r.record.request === 'GET /"q" HTTP/1.1');
});

t.test('bad lines give a reason and never throw', async (t) => {
  const parser = compileLogFormat(INGRESS_NGINX_FORMAT);
  t.same(parser.parse(''), { ok: false, reason: 'empty' });
  t.same(parser.parse('   '), { ok: false, reason: 'empty' });
  // blank by any of JavaScript's white space, not only ASCII
  for (const blank of ['\t\t', '\u00a0 ', '\ufeff', '\u2003\u3000', '\r'])
    t.same(parser.parse(blank), { ok: false, reason: 'empty' }, JSON.stringify(blank));
  // not blank: white space first, then a character (the line is matched, and does not match)
  t.same(parser.parse('\u00a0-'), { ok: false, reason: 'format-mismatch' });
  t.same(parser.parse('x'.repeat(70_000)), { ok: false, reason: 'too-long' });
  t.same(parser.parse('2019/06/07 14:32:28 [crit] 330#330: *1946 connect() failed'), {
    ok: false,
    reason: 'format-mismatch',
  });
  t.same(parser.parse('127.0.0.1 - - [garbage] "GET / HTTP/1.1" 200'), {
    ok: false,
    reason: 'format-mismatch',
  });
  t.same(parser.parse(undefined as unknown as string), { ok: false, reason: 'empty' });
});

t.test('a format that cannot compile is a start-up error with a code', async (t) => {
  t.throws(() => compileLogFormat(''), BridgeError);
  t.throws(() => compileLogFormat('no variables here'), { code: 'CT_BRIDGE_BAD_LOG_FORMAT' });
  t.throws(() => compileLogFormat("log_format x '' '';"), { code: 'CT_BRIDGE_BAD_LOG_FORMAT' });
  t.ok(compileLogFormat("'$status").parse("'200").ok, 'unbalanced quotes are literal text');
});
