/**
 * Links into Kibana Discover, in the URL state format Kibana's own Discover locator writes:
 *   <kibana>/app/discover#/?_g=(time:(from:'…',to:'…'))&_a=(dataSource:(dataViewId:…,type:dataView),query:(language:kuery,query:'…'))
 * (elastic/kibana src/platform/plugins/shared/discover/common/app_locator_get_location.ts: `_g`
 * holds the time range, `_a` the data source and query, each rison-encoded by
 * kibana_utils setStateToKbnUrl and query-encoded by kibana_utils common/url/encode_uri_query.ts;
 * data_sources/utils.ts createDataViewDataSource gives `{type: 'dataView', dataViewId}`. Kibana
 * reads the hash query back with URLSearchParams and @kbn/rison, which wraps the npm `rison-node`.)
 * Plain functions, no provider bindings.
 */
import rison from 'rison-node';

/** Discover's app path under Kibana's base URL, and its URL state keys. */
export const DISCOVER_APP_PATH = '/app/discover#/';
export const DISCOVER_GLOBAL_STATE_KEY = '_g';
export const DISCOVER_APP_STATE_KEY = '_a';

export interface DiscoverLink {
  /** Kibana's address in the user's browser (kibana.publicUrl), no trailing slash. */
  readonly kibanaUrl: string;
  /** Id of the data view to open (e.g. DATA_VIEW_IDS.logs). */
  readonly dataViewId: string;
  /** KQL in the search bar. */
  readonly kql: string;
  /** Start of the time range: ISO 8601 or Kibana date math (`now-7d`). */
  readonly from: string;
  /** End of the time range: ISO 8601 or Kibana date math (`now`). */
  readonly to: string;
}

/** The `_g` (global) state: the time picker. */
export interface DiscoverGlobalState {
  readonly time: { readonly from: string; readonly to: string };
}

/** The `_a` (app) state: which data view, which query. */
export interface DiscoverAppState {
  readonly dataSource: { readonly type: 'dataView'; readonly dataViewId: string };
  readonly query: { readonly language: 'kuery'; readonly query: string };
}

/**
 * Kibana's encodeUriQuery(value, pctEncodeSpaces = true): encodeURIComponent, keeping the
 * characters RFC 3986 allows in a query (`@ : $ , ;`) readable. Never a raw `+` (URLSearchParams
 * would read it as a space).
 */
export function encodeUriQuery(value: string): string {
  return encodeURIComponent(value).replace(/%40/gi, '@').replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%3B/gi, ';');
}

export function discoverState(link: Omit<DiscoverLink, 'kibanaUrl'>): { global: DiscoverGlobalState; app: DiscoverAppState } {
  return {
    global: { time: { from: link.from, to: link.to } },
    app: { dataSource: { type: 'dataView', dataViewId: link.dataViewId }, query: { language: 'kuery', query: link.kql } },
  };
}

/** The Discover URL of a data view, a KQL query and a time range. */
export function discoverUrl(link: DiscoverLink): string {
  if (!/^https?:\/\/[^?#]+[^/?#]$/.test(link.kibanaUrl)) throw new Error(`discoverUrl: kibanaUrl "${link.kibanaUrl}" must be an http(s) URL without query, fragment or trailing slash`);
  if (!link.dataViewId) throw new Error('discoverUrl: dataViewId is empty');
  const state = discoverState(link);
  const query = [
    `${DISCOVER_GLOBAL_STATE_KEY}=${encodeUriQuery(rison.encode(state.global))}`,
    `${DISCOVER_APP_STATE_KEY}=${encodeUriQuery(rison.encode(state.app))}`,
  ].join('&');
  return `${link.kibanaUrl}${DISCOVER_APP_PATH}?${query}`;
}

/**
 * Marker standing in for a Jaeger template parameter while the URL is encoded: `*` makes rison
 * quote the string it is in (a lone parameter such as a time becomes `'…'`, as a date string must
 * be), and neither rison (which escapes only `'` and `!`), KQL quoting (`\` and `"`) nor
 * encodeURIComponent changes `*`, letters or digits.
 */
const marker = (i: number) => `*JAEGERPARAM${i}*`;

/**
 * A Jaeger UI link-pattern URL template: `build` gets `param(expression)` to place a Jaeger
 * parameter (`traceID`, `spanID`, `startTime | add -300000000 | epoch_micros_to_date_iso`, …)
 * wherever a value goes; the URL is encoded with markers and each marker then becomes
 * `#{expression}`, which Jaeger's UI replaces with encodeURIComponent(value). So a parameter
 * may only stand for values that need no rison or KQL escaping: hex ids and ISO dates.
 */
export function jaegerLinkTemplate(build: (param: (expression: string) => string) => string): string {
  const expressions: string[] = [];
  const param = (expression: string) => {
    if (/[{}]/.test(expression)) throw new Error(`jaegerLinkTemplate: "${expression}" cannot contain { or } (Jaeger's #{…} syntax)`);
    expressions.push(expression);
    return marker(expressions.length - 1);
  };
  let url = build(param);
  expressions.forEach((expression, i) => {
    const parts = url.split(marker(i));
    if (parts.length < 2) throw new Error(`jaegerLinkTemplate: the parameter #{${expression}} did not survive the encoding of the URL`);
    url = parts.join(`#{${expression}}`);
  });
  if (/\*JAEGERPARAM\d+\*/.test(url)) throw new Error('jaegerLinkTemplate: a parameter marker is left in the URL');
  return url;
}
