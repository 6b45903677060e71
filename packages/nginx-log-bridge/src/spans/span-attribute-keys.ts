import { AttributeKey } from './attribute-key.js';

/** Extra variables' keys kept before the table starts over. */
const MAX_EXTRA_KEYS = 4096;

/**
 * The attribute names a span builder sets one by one (not in a group), resolved once per builder:
 * the direct encoder keeps its per-name state on them, so they belong to one builder, never to the
 * module.
 */
export class SpanAttributeKeys {
  readonly urlPath = new AttributeKey('url.path');
  readonly urlQuery = new AttributeKey('url.query');
  readonly responseBodySize = new AttributeKey('http.response.body.size');
  readonly requestSize = new AttributeKey('http.request.size');
  readonly clientAddress = new AttributeKey('client.address');
  readonly enduserId = new AttributeKey('enduser.id');
  readonly userAgent = new AttributeKey('user_agent.original');
  readonly referer = new AttributeKey('http.request.header.referer');
  readonly requestId = new AttributeKey('http.request.header.x-request-id');
  readonly tlsSubject = new AttributeKey('tls.client.subject');
  readonly tlsIssuer = new AttributeKey('tls.client.issuer');
  readonly connectTime = new AttributeKey('crosstrace.upstream.connect_time');
  readonly headerTime = new AttributeKey('crosstrace.upstream.header_time');
  private readonly extras = new Map<string, AttributeKey>();

  /** The key of a logged variable with no name of its own: `http.request.header.*`, `http.response.header.*`, `nginx.*`. */
  extra(variable: string): AttributeKey {
    let key = this.extras.get(variable);
    if (key === undefined) {
      const name = variable.startsWith('http_')
        ? `http.request.header.${variable.slice(5).replaceAll('_', '-')}`
        : variable.startsWith('sent_http_')
          ? `http.response.header.${variable.slice(10).replaceAll('_', '-')}`
          : `nginx.${variable}`;
      key = new AttributeKey(name);
      if (this.extras.size >= MAX_EXTRA_KEYS) this.extras.clear();
      this.extras.set(variable, key);
    }
    return key;
  }
}
