//! Reading SOAP requests: a small element tree matched by local names, so any prefixes or
//! default namespaces a client chooses read the same.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Deeper nesting than any EWS request has is refused rather than followed.
const MAX_DEPTH: usize = 64;
const MAX_ELEMENTS: usize = 50_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |element, name| element.child(name))
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn trimmed_text(&self) -> &str {
        self.text.trim()
    }

    /// The text of a child, trimmed.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(Element::trimmed_text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

fn element_from(start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError(e.to_string()))?;
        let key = attribute.key.as_ref();
        // Namespace declarations are not data.
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| XmlError(e.to_string()))?;
        attributes.push((local(key), value.into_owned()));
    }
    Ok(Element { name: local(start.name().as_ref()), attributes, ..Element::default() })
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| XmlError(e.to_string()))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError("content after the root element".into()));
            }
            Event::Start(start) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(XmlError("the document is nested too deeply or too large".into()));
                }
                stack.push(element_from(&start)?);
            }
            Event::Empty(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError("the document is too large".into()));
                }
                let element = element_from(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element =
                    stack.pop().ok_or_else(|| XmlError("unexpected closing tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                } else if !text.xml10_content().trim().is_empty() {
                    return Err(XmlError("text outside the root element".into()));
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => predefined_entity(&reference.xml10_content())
                        .ok_or_else(|| XmlError("unknown entity".into()))?,
                    Err(e) => return Err(XmlError(e.to_string())),
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push(resolved);
                }
            }
            Event::DocType(_) => return Err(XmlError("a DTD is not allowed".into())),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("the document ends inside an element".into()));
    }
    root.ok_or_else(|| XmlError("no root element".into()))
}

/// A SOAP request: its header (if any) and the operation element inside its body.
pub struct Request {
    pub header: Option<Element>,
    pub operation: Element,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Not XML, or not well-formed.
    Malformed(String),
    /// Well-formed, but not a SOAP envelope with one operation in its body.
    NotSoap,
}

pub fn read_request(body: &[u8]) -> Result<Request, RequestError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| RequestError::Malformed("the request is not UTF-8".into()))?;
    let text = text.trim_start_matches('\u{feff}');
    let root = parse(text).map_err(|e| RequestError::Malformed(e.0))?;
    if root.name != "Envelope" {
        return Err(RequestError::NotSoap);
    }
    let mut header = None;
    let mut operation = None;
    for child in root.children {
        match child.name.as_str() {
            "Header" => header = Some(child),
            "Body" => operation = child.children.into_iter().next(),
            _ => {}
        }
    }
    Ok(Request { header, operation: operation.ok_or(RequestError::NotSoap)? })
}

/// The local name of the first element in the SOAP body, found cheaply for counting and fault
/// matching before the request is authenticated.
pub fn operation_name(body: &[u8]) -> Option<String> {
    read_request(body).ok().map(|request| request.operation.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_any_prefixes_and_default_namespaces() {
        let doc = r#"<?xml version="1.0"?>
            <S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">
              <S:Header><RequestServerVersion xmlns="t" Version="Exchange2013"/></S:Header>
              <S:Body><GetUserAvailabilityRequest xmlns="m"><x:A xmlns:x="t" Id="a&amp;b">1 &lt; 2&#33;</x:A></GetUserAvailabilityRequest></S:Body>
            </S:Envelope>"#;
        let request = read_request(doc.as_bytes()).unwrap();
        assert_eq!(request.operation.name, "GetUserAvailabilityRequest");
        let a = request.operation.child("A").unwrap();
        assert_eq!(a.attribute("Id"), Some("a&b"));
        assert_eq!(a.text, "1 < 2!");
        assert_eq!(
            request.header.unwrap().child("RequestServerVersion").unwrap().attribute("Version"),
            Some("Exchange2013")
        );
    }

    #[test]
    fn refuses_broken_documents() {
        for bad in ["", "not xml", "<a><b></a>", "<a>", "<!DOCTYPE a><a/>", "<a/><b/>", "\u{0}"] {
            assert!(read_request(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert_eq!(read_request(b"<a/>").err(), Some(RequestError::NotSoap));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).is_err());
        assert!(read_request(&[0xff, 0xfe]).is_err());
    }
}
