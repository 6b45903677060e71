/** nginx's built-in `combined` format. */
export const COMBINED_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

/** The common `main` format of nginx's default nginx.conf: `combined` plus X-Forwarded-For. */
export const MAIN_FORMAT = `${COMBINED_FORMAT} "$http_x_forwarded_for"`;

/** ingress-nginx's default `log-format-upstream` (controller ≥ 0.22). */
export const INGRESS_NGINX_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ' +
  '"$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] ' +
  '$upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';

/** ingress-nginx's format before 2019 (`[$the_real_ip]`, no alternative upstream). */
export const INGRESS_NGINX_LEGACY_FORMAT =
  '$remote_addr - [$the_real_ip] - $remote_user [$time_local] "$request" $status $body_bytes_sent ' +
  '"$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] ' +
  '$upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';

/** The `--format` presets. */
export type FormatName = 'combined' | 'ingress-nginx' | 'json';

/** The formats each preset tries, in order. */
export const PRESET_FORMATS: Record<Exclude<FormatName, 'json'>, readonly string[]> = {
  combined: [COMBINED_FORMAT, MAIN_FORMAT],
  'ingress-nginx': [INGRESS_NGINX_FORMAT, INGRESS_NGINX_LEGACY_FORMAT],
};
