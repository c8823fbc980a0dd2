/**
 * The application layer under `/v1` (DESIGN "Application layer"): the second
 * line of defence, for spend that never passes the gateway. Reservations an
 * application holds, commits and releases itself, and usage recorded after
 * the fact; one OpenAPIHono whose routes the `/v1` OpenAPI document (and the
 * typed client in client/) is generated from.
 */
import { appLayerApp } from "./app";
import { reservationRoutes } from "./reservations";
import { usageRoutes } from "./usage";

/** Every application-layer route, to mount on `/v1`. */
export const appLayerRoutes = appLayerApp().route("/", reservationRoutes).route("/", usageRoutes);
