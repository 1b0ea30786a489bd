// The bare handler: no session code. On Bun (Bun.serve) or Node (srvx).
import { serveFetch, withStats } from "./common.mjs";

await serveFetch(withStats(() => new Response("ok")));
