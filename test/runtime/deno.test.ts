import { describeExampleApp } from "../helpers/example-flows.ts";
import { startDeno } from "../helpers/servers.ts";

describeExampleApp("examples/deno.ts on Deno (Deno.serve, default libSQL store)", () => startDeno("examples/deno.ts"));
