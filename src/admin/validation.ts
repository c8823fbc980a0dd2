/** Turns zod failures into the admin API's 400, naming every failing field. */
import type { z } from "zod";
import { ApiError } from "../errors";

/** Details of each failing field. */
export function fieldErrors(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
}

/** The 400 for a failed validation. */
export function validationError(error: z.ZodError): ApiError {
  const fields = fieldErrors(error);
  return new ApiError(400, `Invalid request: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, {
    code: "validation_failed",
    details: fields,
  });
}
