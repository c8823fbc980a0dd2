/**
 * Preloaded into the Portkey gateway process (`node --import`): its start
 * script listens on every interface; this makes a listen() without a host
 * bind to 127.0.0.1 only, so the bench stays on loopback.
 */
import net from "node:net";

const listen = net.Server.prototype.listen;
/** @this {net.Server} @param {...any} args */
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number") {
    if (args[1] === undefined) args[1] = "127.0.0.1";
    else if (typeof args[1] === "function") args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, /** @type {any} */ (args));
};
