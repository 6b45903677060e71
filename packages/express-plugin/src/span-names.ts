/** Routes whose span names are kept, per method; a larger app still gets correct names, made per request. */
const MAX_ROUTES = 1024;

/**
 * Server span names (`GET /customer/:id`), one string per method and route template: a name built
 * per request is a fresh concatenated string that every queued span keeps until it is exported.
 */
export class SpanNames {
  private readonly byMethod = new Map<string, Map<string, string>>();

  /** `METHOD route`, or `METHOD` when no route matched; `shown` is the method as named in spans. */
  of(shown: string, route: string | undefined): string {
    if (route === undefined) return shown;
    let names = this.byMethod.get(shown);
    if (names === undefined) {
      names = new Map();
      this.byMethod.set(shown, names);
    }
    let name = names.get(route);
    if (name === undefined) {
      name = `${shown} ${route}`;
      if (names.size < MAX_ROUTES) names.set(route, name);
    }
    return name;
  }
}
