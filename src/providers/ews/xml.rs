//! A small element tree read by local names, because Exchange servers differ in prefixes and
//! default namespaces for the same element (`m:`, `t:`, `s:` or none).
//!
//! Bounded on every axis: a hostile or broken server cannot make it recurse or allocate
//! without limit.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// Deeper than any EWS response (the deepest is about 12 levels).
const MAX_DEPTH: usize = 64;
/// Far above what 100 mailboxes' free/busy or a 1,000-item calendar page hold.
const MAX_ELEMENTS: usize = 2_000_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name, without any prefix.
    pub name: String,
    /// Attributes by local name; `xmlns` declarations are left out.
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("the response is not UTF-8")]
    NotUtf8,
    #[error("the response is not well-formed XML: {0}")]
    Malformed(String),
    #[error("the response has no root element")]
    Empty,
    #[error("the response is nested or sized beyond any EWS answer")]
    TooLarge,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first descendant (depth first) called `name`, the element itself included.
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// The text of the child called `name`, trimmed; `None` when absent or empty.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim()).filter(|t| !t.is_empty())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// `true` for the child text "true" (any case), the way xs:boolean is written.
    pub fn flag(&self, name: &str) -> bool {
        self.text_of(name).is_some_and(|t| t.eq_ignore_ascii_case("true") || t == "1")
    }
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_owned()
}

fn open(start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut element = Element { name: local(start.name().as_ref()), ..Element::default() };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError::Malformed(e.to_string()))?;
        let key = attribute.key.as_ref();
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        element.attributes.push((local(key), value.into_owned()));
    }
    Ok(element)
}

/// Parses a whole document into its root element.
pub fn parse(body: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut count = 0usize;
    let malformed = |e: quick_xml::Error| XmlError::Malformed(e.to_string());
    loop {
        match reader.read_event().map_err(malformed)? {
            Event::Start(start) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge);
                }
                stack.push(open(&start)?);
            }
            Event::Empty(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge);
                }
                let element = open(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let done =
                    stack.pop().ok_or_else(|| XmlError::Malformed("stray end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError::Malformed(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::Eof => {
                return Err(if stack.is_empty() {
                    XmlError::Empty
                } else {
                    XmlError::Malformed("the document ends inside an element".into())
                });
            }
            // Declarations, comments, processing instructions and DTDs carry nothing EWS
            // needs; a DTD's entities are never expanded.
            _ => {}
        }
    }
}

/// Escapes text for an element or a double-quoted attribute.
pub fn escape(raw: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_local_whatever_the_prefix() {
        let root = parse(
            br#"<?xml version="1.0"?><s:Envelope xmlns:s="x"><s:Body><m:A xmlns:m="y" m:Attr="1"><B xmlns="z">t &amp; &#x41;<![CDATA[<c>]]></B><t:C/></m:A></s:Body></s:Envelope>"#,
        )
        .unwrap();
        assert_eq!(root.name, "Envelope");
        let a = root.find("A").unwrap();
        assert_eq!(a.attribute("Attr"), Some("1"));
        assert_eq!(a.text_of("B"), Some("t & A<c>"));
        assert!(a.child("C").is_some());
    }

    #[test]
    fn broken_documents_are_errors_not_panics() {
        for bad in [&b""[..], b"<a>", b"<a></b>", b"</a>", b"<a>&bogus;</a>", b"\xff\xfe"] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooLarge));
    }
}
