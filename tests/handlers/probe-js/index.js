// Test-only: answers with the Lambda event and context the edgeway adapter made, or a chosen
// result form (`/js/probe/binary`, `string`, `object`, `cookies`), or throws (`/js/probe/throw`).
export async function handler(event, context) {
  switch (event.pathParameters.what) {
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
