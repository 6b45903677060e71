import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient } from './api/client.js';
import { Link } from './components/link.js';
import { TokenDialog } from './components/token-dialog.js';
import { AppContext, type AppContextValue, type Settings } from './context.js';
import { tracesFromFile } from './open-file.js';
import { ComparePage } from './pages/compare-page.js';
import { DiagnosesPage } from './pages/diagnoses-page.js';
import { PodPage } from './pages/pod-page.js';
import { PodsPage } from './pages/pods-page.js';
import { SearchPage } from './pages/search-page.js';
import { ServiceMapPage } from './pages/service-map-page.js';
import { TracePage } from './pages/trace-page.js';
import { type Router, useLocation } from './router.js';
import { TraceStore } from './trace-store.js';

const SETTINGS_KEY = 'crosstrace.settings';

function loadSettings(): Settings {
  const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
  const fallback: Settings = { theme: dark ? 'dark' : 'light', tz: 'local' };
  try {
    const s = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Partial<Settings>;
    return {
      theme: s.theme === 'dark' || s.theme === 'light' ? s.theme : fallback.theme,
      tz: s.tz === 'utc' || s.tz === 'local' ? s.tz : fallback.tz,
    };
  } catch {
    return fallback;
  }
}

/** "a...b", "a b" → compare; one id → trace. */
export function traceBoxTarget(text: string): string | undefined {
  const ids = text
    .trim()
    .split(/\s*(?:\.\.\.|\s|,)\s*/)
    .filter(Boolean);
  if (ids.length === 0 || ids.length > 2 || !ids.every((id) => /^[0-9a-fA-F]{1,32}$/.test(id)))
    return undefined;
  return ids.length === 1
    ? `/trace/${ids[0].toLowerCase()}`
    : `/trace/${ids[0].toLowerCase()}...${ids[1].toLowerCase()}`;
}

function TopBar(props: { ctx: AppContextValue; page: string }) {
  const { router, settings, setSettings, traces } = props.ctx;
  const [box, setBox] = useState('');
  const [error, setError] = useState<string | undefined>();
  const fileInput = useRef<HTMLInputElement>(null);
  const nav = (href: string, label: string, page: string) => (
    <Link href={href} class={props.page === page ? 'active' : undefined}>
      {label}
    </Link>
  );
  return (
    <header class="topbar">
      <Link href="/search" class="brand">
        crosstrace
      </Link>
      <nav>
        {nav('/search', 'Search', 'search')}
        {nav('/map', 'Service map', 'map')}
        {nav('/diagnoses', 'Diagnoses', 'diagnoses')}
        {nav('/pods', 'Pods', 'pods')}
      </nav>
      <form
        class="trace-box"
        onSubmit={(e) => {
          e.preventDefault();
          const target = traceBoxTarget(box);
          if (target === undefined) {
            setError('a trace id is 1–32 hex digits; two ids compare');
            return;
          }
          setError(undefined);
          setBox('');
          router.navigate(target);
        }}
      >
        <input
          aria-label="Lookup by trace ID"
          placeholder="Lookup by trace ID…"
          value={box}
          onInput={(e) => setBox((e.target as HTMLInputElement).value)}
          title={error ?? 'one trace id, or two to compare'}
          class={error ? 'invalid' : undefined}
        />
      </form>
      <button
        type="button"
        onClick={() => fileInput.current?.click()}
        title="Open a Jaeger JSON or OTLP/JSON file"
      >
        Open file
      </button>
      <input
        ref={fileInput}
        type="file"
        accept=".json,application/json"
        hidden
        data-testid="open-file"
        onChange={async (e) => {
          const input = e.target as HTMLInputElement;
          const f = input.files?.[0];
          input.value = '';
          if (!f) return;
          try {
            const list = await tracesFromFile(f);
            for (const t of list) traces.addFile(t);
            router.navigate(
              list.length === 2
                ? `/trace/${list[0].traceID}...${list[1].traceID}`
                : `/trace/${list[0].traceID}`,
            );
          } catch (err) {
            window.alert((err as Error).message);
          }
        }}
      />
      <button
        type="button"
        class="toggle"
        data-testid="tz-toggle"
        title="Show times in UTC or local time"
        onClick={() => setSettings({ tz: settings.tz === 'utc' ? 'local' : 'utc' })}
      >
        {settings.tz === 'utc' ? 'UTC' : 'Local'}
      </button>
      <button
        type="button"
        class="toggle"
        data-testid="theme-toggle"
        title="Switch between light and dark"
        onClick={() => setSettings({ theme: settings.theme === 'dark' ? 'light' : 'dark' })}
      >
        {settings.theme === 'dark' ? '☾ Dark' : '☀ Light'}
      </button>
    </header>
  );
}

export function App(props: { router: Router }) {
  const { router } = props;
  const [settings, setSettingsState] = useState(loadSettings);
  const [ask, setAsk] = useState<{ reason: string; resolve: (t: string | undefined) => void } | undefined>();
  const ctx = useMemo<AppContextValue>(() => {
    const api = new ApiClient({
      storage: window.sessionStorage,
      askToken: (reason) => new Promise((resolve) => setAsk({ reason, resolve })),
    });
    return {
      router,
      api,
      traces: new TraceStore(api),
      settings,
      setSettings: () => {},
    };
  }, [router]);
  const value: AppContextValue = {
    ...ctx,
    settings,
    setSettings: (s) =>
      setSettingsState((prev) => {
        const next = { ...prev, ...s };
        localStorage.setItem(SETTINGS_KEY, JSON.stringify(next));
        return next;
      }),
  };
  // before any child's effect draws a canvas with the theme's colours
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = settings.theme;
  }, [settings.theme]);
  const loc = useLocation(router);
  const route = loc.route;
  let page: preact.JSX.Element;
  switch (route.page) {
    case 'search':
      page = <SearchPage />;
      break;
    case 'trace':
      page = (
        <TracePage key={`${route.traceID}:${ctx.traces.revision(route.traceID)}`} traceID={route.traceID} />
      );
      break;
    case 'compare':
      page = <ComparePage a={route.a} b={route.b} />;
      break;
    case 'map':
      page = <ServiceMapPage />;
      break;
    case 'diagnoses':
      page = <DiagnosesPage />;
      break;
    case 'pods':
      page = <PodsPage />;
      break;
    case 'pod':
      page = <PodPage namespace={route.namespace} name={route.name} />;
      break;
    default:
      page = (
        <div class="page message">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <Link href="/search">Search traces</Link>.
          </p>
        </div>
      );
  }
  return (
    <AppContext.Provider value={value}>
      <TopBar ctx={value} page={route.page === 'compare' ? 'trace' : route.page} />
      <main>{page}</main>
      {ask && (
        <TokenDialog
          reason={ask.reason}
          onDone={(t) => {
            ask.resolve(t);
            setAsk(undefined);
          }}
        />
      )}
    </AppContext.Provider>
  );
}
