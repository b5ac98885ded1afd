/**
 * The body a provider expects when its event was received (issue 10 item 2). Refusals keep the JSON
 * error shape: only a provider's success answer differs.
 */
export type AnswerKind = 'salesforce-ack' | 'twiml-empty';

export interface ProviderAnswer {
  readonly kind: AnswerKind;
  /**
   * Both answers are sent with 200 whether the events were new or duplicates: each is a SOAP or
   * TwiML response document, which the providers document with `200 OK` (SOAP 1.1 over HTTP as
   * profiled by WS-I Basic Profile R1111; Twilio error 15003: "200 OK, Content-Type: text/xml,
   * valid TwiML"). Neither provider reads our 202/200 distinction.
   */
  readonly status: 200;
  readonly contentType: string;
  readonly body: string;
  /** One line for `presets`. */
  readonly summary: string;
}

const ANSWERS: Readonly<Record<AnswerKind, ProviderAnswer>> = Object.freeze({
  // Salesforce redelivers a message (for up to 24 hours) until it reads this acknowledgement.
  'salesforce-ack': Object.freeze({
    kind: 'salesforce-ack',
    status: 200,
    summary: '200 text/xml: SOAP notificationsResponse with <Ack>true</Ack>, for new events and duplicates',
    contentType: 'text/xml; charset=utf-8',
    body:
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
      '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>' +
      '</soapenv:Body></soapenv:Envelope>',
  }),
  // Incoming-message and voice webhooks must answer TwiML; an empty Response does nothing (no reply
  // SMS; for a call, it hangs up). Status callbacks ignore the body, so the same answer fits them.
  'twiml-empty': Object.freeze({
    kind: 'twiml-empty',
    status: 200,
    summary: '200 text/xml: an empty TwiML <Response/>, for new events and duplicates',
    contentType: 'text/xml; charset=utf-8',
    body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
  }),
});

export function getAnswer(kind: AnswerKind): ProviderAnswer {
  return ANSWERS[kind];
}
