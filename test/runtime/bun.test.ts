import { describeExampleApp } from "../helpers/example-flows.ts";
import { startBun } from "../helpers/servers.ts";

describeExampleApp("examples/bun.ts on Bun (Bun.serve, default libSQL store)", () => startBun("examples/bun.ts"));
