// `{{name}}`: answers `{{route}}`, greeting the `name` route parameter if the route has one.
// An AWS Lambda handler: the event is an API Gateway HTTP API event (payload format 2.0).
export async function handler(event, context) {
  const name = event.pathParameters?.name ?? "world";
  return { statusCode: 200, body: JSON.stringify({ message: greeting(name) }) };
}

/** What the handler says to `name`. */
export function greeting(name) {
  return `Hello, ${name}!`;
}
