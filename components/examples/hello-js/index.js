// `hello-js`: the serverless "hello world" as an AWS Lambda handler (API Gateway HTTP API,
// payload 2.0). `GET /js/hello` greets the world, `GET /js/hello/:name` greets `name`.
export async function handler(event, context) {
  const name = event.pathParameters?.name ?? "world";
  return { statusCode: 200, body: JSON.stringify({ message: `Hello, ${name}!` }) };
}
