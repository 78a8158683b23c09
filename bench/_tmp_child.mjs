import { startStack } from "../scripts/stack.mjs";
const s = await startStack({ port: 0, stateDir: process.argv[2], onLog: () => {} });
process.send({ url: s.url });
process.on("message", async (m) => { if (m === "close") { await s.close(); process.exit(0); } });
