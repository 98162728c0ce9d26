// AWS Lambda handlers behind the edgeway gateway: the contract's request becomes an API
// Gateway HTTP API event (payload format 2.0), and the Lambda result becomes the contract's
// response. So a Lambda function ports by copying its file:
//
//   export async function handler(event, context) {
//     return { statusCode: 200, body: JSON.stringify({ message: "Hello, world!" }) };
//   }
//
// Events (the contract's `events.deliver`) reach the same function as EventBridge events, as
// when a rule targets a Lambda function (see `toEventBridge`): returning means handled,
// throwing means not handled (the gateway retries, then writes the event to the dead letters).
// A function that serves both tells them apart as Lambda functions do:
// `"detail-type" in event` for an event, `event.requestContext` for a request.
//
// Pure JavaScript (no Node or WASI API), so it runs under StarlingMonkey in the component and
// under `node --test` in its unit tests.

/** What a request may take, as the local host and Spin allow (30 s). */
export const TIME_LIMIT_MS = 30_000;

const encoder = new TextEncoder();

/** The API Gateway HTTP API event (payload 2.0) for the contract's `request`. */
export function toEvent(request) {
  const headers = {};
  const cookies = [];
  for (const [name, value] of request.headers) {
    if (name === "cookie") {
      cookies.push(...value.split(";").map((c) => c.trim()).filter(Boolean));
    } else {
      headers[name] = name in headers ? `${headers[name]},${value}` : value;
    }
  }
  const query = {};
  for (const [name, value] of new URLSearchParams(request.query)) {
    query[name] = name in query ? `${query[name]},${value}` : value;
  }
  const params = Object.fromEntries(request.params);
  const { context } = request;
  const routeKey = `${request.method} ${context.route.replace(/:([^/]+)/g, "{$1}").replace(/\/\.\.\.$/, "/{proxy+}")}`;
  const now = Date.now();
  const event = {
    version: "2.0",
    routeKey,
    rawPath: request.path,
    rawQueryString: request.query,
    headers,
    requestContext: {
      accountId: "edgeway",
      apiId: "edgeway",
      domainName: headers.host ?? "",
      domainPrefix: (headers.host ?? "").split(".")[0],
      http: {
        method: request.method,
        path: request.path,
        protocol: "HTTP/1.1",
        sourceIp: sourceIp(context.clientAddr),
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: context.requestId,
      routeKey,
      stage: "$default",
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (request.query !== "") event.queryStringParameters = query;
  if (request.params.length > 0) event.pathParameters = params;
  if (context.caller) event.requestContext.authorizer = authorizer(context.caller);
  if (request.body.length > 0) {
    const text = utf8(request.body);
    event.isBase64Encoded = text === undefined;
    event.body = text ?? toBase64(request.body);
  }
  return event;
}

/** The Lambda `context` object for a request. */
export function toContext(request, functionName = "edgeway") {
  const deadline = Date.now() + TIME_LIMIT_MS;
  return {
    awsRequestId: request.context.requestId,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:edgeway:lambda:local:function:${functionName}`,
    memoryLimitInMB: "128",
    logGroupName: `/edgeway/${functionName}`,
    logStreamName: request.context.requestId,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * The contract's response for what a Lambda handler returned: an object with `statusCode`
 * (and `headers`, `cookies`, `body`, `isBase64Encoded`) as it is; anything else is a 200 with
 * `content-type: application/json`, objects serialised and strings sent as they are (what API
 * Gateway does with payload 2.0).
 */
export function toResponse(result) {
  if (result === null || typeof result !== "object" || !("statusCode" in result)) {
    const body = typeof result === "string" ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: [["content-type", "application/json"]], body: encoder.encode(body) };
  }
  const status = Number(result.statusCode);
  if (!Number.isInteger(status)) {
    throw new TypeError(`statusCode must be an integer, got ${JSON.stringify(result.statusCode)}`);
  }
  const headers = Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]);
  for (const cookie of result.cookies ?? []) headers.push(["set-cookie", String(cookie)]);
  let body = result.body ?? "";
  if (typeof body !== "string") body = JSON.stringify(body);
  if (!headers.some(([name]) => name === "content-type") && body !== "") {
    headers.unshift(["content-type", "application/json"]);
  }
  const bytes = result.isBase64Encoded ? fromBase64(body) : encoder.encode(body);
  return { status, headers, body: bytes };
}

/** The contract's problem for an error a handler threw (a 500); its stack goes to the log. */
export function toProblem(error) {
  console.error(error instanceof Error && error.stack ? `${error}\n${error.stack}` : String(error));
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, title: "Handler raised an exception", detail: `${name}: ${message}` };
}

/**
 * Calls a Lambda handler with the event and context for `request`: `{ response }`, or
 * `{ problem }` when it throws or returns something that cannot be sent.
 */
export async function invoke(handler, request) {
  try {
    const result = await handler(toEvent(request), toContext(request));
    return { response: toResponse(result) };
  } catch (error) {
    return { problem: toProblem(error) };
  }
}

/**
 * The EventBridge event for the contract's `event` (a CloudEvent):
 *
 *   { version: "0", id, "detail-type": type, source, account: "edgeway", time,
 *     region: "edgeway", resources: [subject] or [], detail,
 *     subject?, dataContentType?, extensions: {name: value}, isBase64Encoded? }
 *
 * `detail` is the data parsed as JSON when it is JSON (a JSON content type, or none given and
 * the data parses), otherwise its text, otherwise (binary data) its base64 with
 * `isBase64Encoded: true`; empty data is `{}`. `time` is the event's, else the time of
 * delivery. `subject`, `dataContentType` and `extensions` carry the CloudEvent attributes
 * EventBridge has no field for.
 */
export function toEventBridge(event) {
  const result = {
    version: "0",
    id: event.id,
    "detail-type": event.type,
    source: event.source,
    account: "edgeway",
    time: event.time ?? new Date().toISOString(),
    region: "edgeway",
    resources: event.subject === undefined || event.subject === null ? [] : [event.subject],
    detail: {},
    extensions: Object.fromEntries(event.extensions ?? []),
  };
  if (event.subject !== undefined && event.subject !== null) result.subject = event.subject;
  const contentType = event.dataContentType ?? undefined;
  if (contentType !== undefined) result.dataContentType = contentType;
  const data = event.data ?? new Uint8Array();
  if (data.length > 0) {
    const text = utf8(data);
    const json = contentType === undefined || /^application\/(.+\+)?json\b|^text\/json\b/i.test(contentType);
    if (text === undefined) {
      result.detail = toBase64(data);
      result.isBase64Encoded = true;
    } else if (json) {
      try {
        result.detail = JSON.parse(text);
      } catch {
        result.detail = text;
      }
    } else {
      result.detail = text;
    }
  }
  return result;
}

/** The Lambda `context` object for an event. */
export function toEventContext(event, functionName = "edgeway") {
  return toContext({ context: { requestId: event.id } }, functionName);
}

/** The contract's error (a string) for an error a handler threw; its stack goes to the log. */
export function toEventError(error) {
  console.error(error instanceof Error && error.stack ? `${error}\n${error.stack}` : String(error));
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
}

/**
 * Calls a Lambda handler with the EventBridge event and context for the contract's `event`:
 * `{}` when it returns (whatever it returns), `{ error }` when it throws.
 */
export async function deliver(handler, event) {
  try {
    await handler(toEventBridge(event), toEventContext(event));
    return {};
  } catch (error) {
    return { error: toEventError(error) };
  }
}

function sourceIp(clientAddr) {
  if (clientAddr.startsWith("[")) return clientAddr.slice(1, clientAddr.indexOf("]"));
  const colon = clientAddr.lastIndexOf(":");
  return colon < 0 ? clientAddr : clientAddr.slice(0, colon);
}

function authorizer(caller) {
  if (caller.scheme === "jwt") {
    const claims = caller.claims ? JSON.parse(caller.claims) : {};
    const scopes = String(claims.scope ?? "").split(" ").filter(Boolean);
    return { jwt: { claims, scopes } };
  }
  return { lambda: { scheme: caller.scheme, name: caller.name } };
}

function utf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64, with padding. */
export function toBase64(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? ALPHABET[n & 63] : "=";
  }
  return out;
}

/** Decodes standard or URL-safe base64, padded or not. */
export function fromBase64(text) {
  const clean = text.replace(/[\s=]/g, "").replace(/-/g, "+").replace(/_/g, "/");
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of clean) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw new TypeError(`body is not base64 (isBase64Encoded is true): found ${JSON.stringify(char)}`);
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (value >> bits) & 255;
    }
  }
  return bytes.subarray(0, at);
}
