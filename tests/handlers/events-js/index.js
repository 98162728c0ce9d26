// `events-js`: receives events as an AWS Lambda handler, each as an EventBridge event. Logs
// one JSON line per event; an event whose data (`detail`) is `{"fail": true}` fails on
// purpose (it throws), so retries and dead letters show.
export async function handler(event, context) {
  if (event.detail?.fail === true) {
    throw new Error(`event ${event.id} asked to fail`);
  }
  const record = {
    handler: "events-js",
    id: event.id,
    source: event.source,
    type: event["detail-type"],
    subject: event.subject ?? null,
    requestId: context.awsRequestId,
  };
  console.log(JSON.stringify(record));
}
