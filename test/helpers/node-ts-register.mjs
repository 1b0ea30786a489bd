// `node --import ./test/helpers/node-ts-register.mjs file.ts`: lets Node 20 load TypeScript files.
import { register } from "node:module";

register("./node-ts-hooks.mjs", import.meta.url);
