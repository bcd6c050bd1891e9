//! Writing SOAP responses: the envelope with `ServerVersionInfo`, SOAP faults in Exchange's
//! shape, and XML escaping for everything taken from calendars or requests.

use std::fmt::Write as _;

pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const MESSAGES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const TYPES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
pub const ERRORS_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// An EWS answer before it becomes an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EwsResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

impl EwsResponse {
    pub fn xml(status: u16, body: String) -> Self {
        EwsResponse {
            status,
            headers: Vec::new(),
            body: body.into_bytes(),
            content_type: CONTENT_TYPE,
        }
    }
}

/// Escapes text for element content and attribute values alike; characters XML 1.0 cannot
/// carry at all are dropped, since no escape makes them legal.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes `<{name}>{escaped text}</{name}>`, or the empty form for empty text as Exchange does.
pub fn element(out: &mut String, name: &str, text: &str) {
    if text.is_empty() {
        let _ = write!(out, "<{name} />");
    } else {
        let _ = write!(out, "<{name}>{}</{name}>", escape(text));
    }
}

/// A whole response document around `body` (the operation's response element).
pub fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <s:Envelope xmlns:s=\"{SOAP_NS}\">\
         <s:Header><h:ServerVersionInfo MajorVersion=\"15\" MinorVersion=\"1\" \
         MajorBuildNumber=\"2507\" MinorBuildNumber=\"6\" Version=\"V2017_07_11\" \
         xmlns:h=\"{TYPES_NS}\" xmlns=\"{TYPES_NS}\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" /></s:Header>\
         <s:Body xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">{body}</s:Body></s:Envelope>"
    )
}

/// A SOAP fault as Exchange writes one: `faultcode` `a:{code}`, `faultstring`, and a
/// `detail` with `e:ResponseCode`, `e:Message` and optionally `t:MessageXml` content.
pub fn fault(code: &str, message: &str, message_xml: Option<&str>) -> EwsResponse {
    let mut body = String::new();
    let _ = write!(
        body,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <s:Envelope xmlns:s=\"{SOAP_NS}\"><s:Body><s:Fault>\
         <faultcode xmlns:a=\"{TYPES_NS}\">a:{code}</faultcode>\
         <faultstring xml:lang=\"en-US\">{message}</faultstring><detail>\
         <e:ResponseCode xmlns:e=\"{ERRORS_NS}\">{code}</e:ResponseCode>\
         <e:Message xmlns:e=\"{ERRORS_NS}\">{message}</e:Message>",
        code = escape(code),
        message = escape(message),
    );
    if let Some(xml) = message_xml {
        let _ = write!(body, "<t:MessageXml xmlns:t=\"{TYPES_NS}\">{xml}</t:MessageXml>");
    }
    body.push_str("</detail></s:Fault></s:Body></s:Envelope>");
    EwsResponse::xml(500, body)
}

pub fn server_busy(back_off_ms: Option<u64>) -> EwsResponse {
    let value =
        back_off_ms.map(|ms| format!("<t:Value Name=\"BackOffMilliseconds\">{ms}</t:Value>"));
    fault(
        "ErrorServerBusy",
        "The server cannot service this request right now. Try again later.",
        value.as_deref(),
    )
}

pub fn schema_validation(violation: &str) -> EwsResponse {
    let xml = format!("<t:Violation>{}</t:Violation>", escape(violation));
    fault(
        "ErrorSchemaValidation",
        &format!("The request failed schema validation: {violation}"),
        Some(&xml),
    )
}

/// What IIS answers without (valid) credentials: one `WWW-Authenticate` per offered scheme.
pub fn unauthorized(challenges: Vec<String>) -> EwsResponse {
    let mut response = EwsResponse {
        status: 401,
        headers: challenges.into_iter().map(|c| ("WWW-Authenticate".to_string(), c)).collect(),
        body: b"401 - Unauthorized: Access is denied due to invalid credentials.".to_vec(),
        content_type: "text/html",
    };
    response.headers.push(("X-Powered-By".into(), "ASP.NET".into()));
    response
}

/// The error page IIS serves when the application behind it fails.
pub fn html_error_page(status: u16) -> EwsResponse {
    EwsResponse {
        status,
        headers: Vec::new(),
        body: format!(
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\">\
             <html><head><title>IIS {status} Error</title></head>\
             <body><h1>Server Error</h1><h2>{status} - The service is unavailable.</h2></body></html>"
        )
        .into_bytes(),
        content_type: "text/html",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_illegal_characters() {
        assert_eq!(escape("<a href=\"x\">&'\u{1}"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
        let mut out = String::new();
        element(&mut out, "t:Subject", "");
        element(&mut out, "t:Location", "R&D");
        assert_eq!(out, "<t:Subject /><t:Location>R&amp;D</t:Location>");
    }

    #[test]
    fn server_busy_carries_the_back_off_hint() {
        let busy = server_busy(Some(2500));
        assert_eq!(busy.status, 500);
        let text = String::from_utf8(busy.body).unwrap();
        assert!(text.contains("<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">a:ErrorServerBusy</faultcode>"));
        assert!(text.contains("<t:Value Name=\"BackOffMilliseconds\">2500</t:Value>"));
        assert!(super::super::envelope::parse(&text).is_ok());
    }
}
