// Chart colours come from the page's CSS variables, so charts follow the theme.

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function chartColors() {
  return {
    text: cssVar('--fg-muted', '#666'),
    grid: cssVar('--border', '#ddd'),
    ok: cssVar('--accent', '#2563eb'),
    error: cssVar('--error', '#dc2626'),
    ingress: cssVar('--layer-ingress', '#8b5cf6'),
    app: cssVar('--layer-app', '#0ea5e9'),
    controlPlane: cssVar('--layer-control-plane', '#d97706'),
  };
}
