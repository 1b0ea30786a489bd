import { describeExampleApp } from "../helpers/example-flows.ts";
import { startNode } from "../helpers/servers.ts";

describeExampleApp("examples/node.ts on Node (srvx, default libSQL store)", () => startNode("examples/node.ts"));
