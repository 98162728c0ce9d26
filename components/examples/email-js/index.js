// `email-js`: a Lambda handler with a package from npm (validator, in package.json and its
// lockfile). `GET /js/email/:address` says whether an address is well formed and how it
// normalizes.
import isEmail from "validator/es/lib/isEmail.js";
import normalizeEmail from "validator/es/lib/normalizeEmail.js";

export async function handler(event) {
  const address = event.pathParameters.address;
  const valid = isEmail(address);
  const body = { address, valid, normalized: valid ? normalizeEmail(address) : null };
  return { statusCode: 200, body: JSON.stringify(body) };
}
