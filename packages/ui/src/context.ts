// What every page needs, created once by the app: the router, the API client, the trace store
// and the user's display settings.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api/client.js';
import type { TimeZoneMode } from './model/format.js';
import type { Router } from './router.js';
import type { TraceStore } from './trace-store.js';

export type Theme = 'light' | 'dark';

export interface Settings {
  theme: Theme;
  tz: TimeZoneMode;
}

export interface AppContextValue {
  router: Router;
  api: ApiClient;
  traces: TraceStore;
  settings: Settings;
  setSettings: (s: Partial<Settings>) => void;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (v === undefined) throw new Error('useApp outside the app');
  return v;
}
