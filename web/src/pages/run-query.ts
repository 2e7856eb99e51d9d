// The run page's query variables, in the first bundle so the app can send the query (Run in
// web/src/operations/run.graphql) while the page's code is still loading (App prefetches it on
// the route): the page is one round trip from pixels.

/** Points per chart: about one and a half per pixel of a wide screen. */
export const chartPoints = () => Math.min(4000, Math.max(400, Math.round(window.innerWidth * 1.5)));

export const runVariables = (id: string) => ({ id, max: chartPoints() });
