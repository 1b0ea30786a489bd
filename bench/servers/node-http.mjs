// node:http with no session code (Node's bare handler).
import { createServer } from "node:http";
import { PORT, pathOf, ready, stats } from "./common.mjs";

const server = createServer((req, res) => {
  if (req.url === "/__stats") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(stats));
    return;
  }
  stats.requests++;
  pathOf(`http://x${req.url}`);
  res.setHeader("content-type", "text/plain;charset=utf-8");
  res.end("ok");
});
server.listen(PORT, "127.0.0.1", () => ready(server.address().port, () => server.close()));
