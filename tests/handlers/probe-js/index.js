// Test-only: answers with the Lambda event and context the edgeway adapter made, or a chosen
// result form (`/js/probe/binary`, `string`, `object`, `cookies`), or throws (`/js/probe/throw`);
// `/js/probe/fetch?url=U&timeout_ms=T` calls `U` with the runtime's `fetch` and relays the answer.
export async function handler(event, context) {
  switch (event.pathParameters.what) {
    case "fetch":
      return relay(event, context);
    case "throw":
      throw new RangeError("the probe was asked to throw");
    case "binary":
      return {
        statusCode: 200,
        headers: { "Content-Type": "application/octet-stream" },
        body: "AP8Q", // 0x00 0xff 0x10
        isBase64Encoded: true,
      };
    case "string":
      return "plain string";
    case "object":
      return { hello: "lambda" };
    case "cookies":
      return { statusCode: 204, cookies: ["a=1", "b=2"] };
    default: {
      const remaining = context.getRemainingTimeInMillis();
      return {
        statusCode: 200,
        body: JSON.stringify({ event, awsRequestId: context.awsRequestId, remaining }),
      };
    }
  }
}

async function relay(event, context) {
  const { url, timeout_ms: timeoutMs = "10000" } = event.queryStringParameters ?? {};
  if (!url) return { statusCode: 400, body: "give the URL to call as ?url=" };
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${url} did not answer in time`)), Number(timeoutMs));
  });
  let answer;
  try {
    answer = await Promise.race([
      fetch(url, { headers: { "x-request-id": event.requestContext.requestId } }),
      timeout,
    ]);
  } catch (error) {
    const status = /in time/.test(error.message) ? 504 : 502;
    return { statusCode: status, body: JSON.stringify({ error: String(error) }) };
  } finally {
    clearTimeout(timer);
  }
  const headers = { "x-relayed-by": "javascript" };
  const kind = answer.headers.get("content-type");
  if (kind) headers["content-type"] = kind;
  return { statusCode: answer.status, headers, body: await answer.text() };
}
