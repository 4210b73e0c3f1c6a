//! A YAML tree that remembers where every node starts, built from `saphyr-parser`'s event stream.
//!
//! Scalars are kept as text (the SDL reader interprets them per field, as Akash's Go parser reads
//! `yaml.Node.Value`); plain `""`, `~` and `null` become [`Kind::Null`]. The loader refuses what
//! the SDL never needs and what could make a small file expensive: more than one document,
//! duplicate keys, non-text keys, nesting deeper than [`MAX_DEPTH`], and alias expansion beyond
//! [`MAX_NODES`] nodes in total (anchors and aliases themselves are supported).

use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::error::{Location, SdlError, SdlErrorKind};

/// Deepest nesting of collections accepted (an SDL needs about 8).
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes a document may expand to, aliases included.
pub(crate) const MAX_NODES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub kind: Kind,
    /// Where the node itself starts.
    pub start: Location,
    /// For a mapping value: where its key starts.
    pub key: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    /// Entries in document order; keys are text and unique.
    Map(Vec<(Key, Node)>),
}

/// A mapping key: its text and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub text: String,
    pub loc: Location,
}

impl Node {
    /// Where errors about this node point: a scalar's own position; for a collection that is a
    /// mapping value, its key (a block mapping otherwise "starts" at its first nested key).
    pub fn loc(&self) -> Location {
        match self.kind {
            Kind::Map(_) | Kind::Seq(_) => self.key.unwrap_or(self.start),
            Kind::Null | Kind::Scalar(_) => self.start,
        }
    }

    /// The YAML kind, for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Scalar(_) => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    fn size(&self) -> usize {
        match &self.kind {
            Kind::Null | Kind::Scalar(_) => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + v.size()).sum::<usize>(),
        }
    }
}

fn location(span: &Span) -> Location {
    Location { line: span.start.line(), column: span.start.col() + 1 }
}

fn syntax(e: &ScanError) -> SdlError {
    let loc = Location { line: e.marker().line(), column: e.marker().col() + 1 };
    SdlError::new("", loc, SdlErrorKind::Syntax { message: e.info().to_string() })
}

fn too_complex(loc: Location, reason: &str) -> SdlError {
    SdlError::new("", loc, SdlErrorKind::TooComplex { reason: reason.to_string() })
}

enum Frame {
    Seq { items: Vec<Node>, loc: Location, anchor: usize },
    Map { entries: Vec<(Key, Node)>, key: Option<Key>, loc: Location, anchor: usize },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Node>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
}

impl Builder {
    fn count(&mut self, n: usize, loc: Location) -> Result<(), SdlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(too_complex(loc, &format!("more than {MAX_NODES} nodes (after alias expansion)")));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, loc: Location) -> Result<(), SdlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_complex(loc, &format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.count(1, loc)?;
        self.stack.push(frame);
        Ok(())
    }

    /// Places a finished node into its parent (or makes it the document root).
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), SdlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => {
                    let node = Node { key: Some(k.loc), ..node };
                    entries.push((k, node));
                    Ok(())
                }
                None => {
                    let text = match node.kind {
                        Kind::Scalar(text) => text,
                        Kind::Null => String::new(),
                        _ => {
                            return Err(SdlError::new(
                                "",
                                node.start,
                                SdlErrorKind::WrongType { expected: "a text mapping key", found: node.kind_name() },
                            ));
                        }
                    };
                    if entries.iter().any(|(k, _)| k.text == text) {
                        return Err(SdlError::new("", node.start, SdlErrorKind::DuplicateKey { key: text }));
                    }
                    *key = Some(Key { text, loc: node.start });
                    Ok(())
                }
            },
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), SdlError> {
        let loc = location(&span);
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(SdlError::new(
                        "",
                        loc,
                        SdlErrorKind::Invalid { message: "an SDL file holds exactly one YAML document".into() },
                    ));
                }
                Ok(())
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(SdlError::new(
                        "",
                        loc,
                        SdlErrorKind::Syntax { message: "alias to an unknown anchor".into() },
                    ));
                };
                let node = node.clone();
                self.count(node.size(), loc)?;
                self.complete(node, 0)
            }
            Event::Scalar(value, style, anchor, _tag) => {
                self.count(1, loc)?;
                let is_null = style == ScalarStyle::Plain && matches!(&*value, "" | "~" | "null" | "Null" | "NULL");
                let kind = if is_null { Kind::Null } else { Kind::Scalar(value.into_owned()) };
                self.complete(Node { kind, start: loc, key: None }, anchor)
            }
            Event::SequenceStart(anchor, _tag) => self.open(Frame::Seq { items: Vec::new(), loc, anchor }, loc),
            Event::MappingStart(anchor, _tag) => {
                self.open(Frame::Map { entries: Vec::new(), key: None, loc, anchor }, loc)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, loc, anchor }) => {
                        (Node { kind: Kind::Seq(items), start: loc, key: None }, anchor)
                    }
                    Some(Frame::Map { entries, loc, anchor, .. }) => {
                        (Node { kind: Kind::Map(entries), start: loc, key: None }, anchor)
                    }
                    None => {
                        return Err(SdlError::new(
                            "",
                            loc,
                            SdlErrorKind::Syntax { message: "unbalanced end of a collection".into() },
                        ));
                    }
                };
                self.complete(node, anchor)
            }
        }
    }
}

/// Parses one YAML document into a positioned tree.
pub(crate) fn load(text: &str) -> Result<Node, SdlError> {
    let mut builder = Builder { stack: Vec::new(), anchors: BTreeMap::new(), nodes: 0, root: None, documents: 0 };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| syntax(&e))?;
        builder.event(event, span)?;
    }
    match builder.root {
        Some(node) if node.kind != Kind::Null => Ok(node),
        other => {
            let loc = other.map(|n| n.start).unwrap_or(Location { line: 1, column: 1 });
            Err(SdlError::new("", loc, SdlErrorKind::Empty))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(node: &Node) -> &str {
        match &node.kind {
            Kind::Scalar(s) => s,
            _ => panic!("not a scalar: {node:?}"),
        }
    }

    #[test]
    fn positions_are_one_based() {
        let root = load("a:\n  b: 12\n  c: [x, y]\n").unwrap();
        let Kind::Map(entries) = &root.kind else { panic!() };
        assert_eq!(entries[0].0.text, "a");
        assert_eq!(entries[0].0.loc, Location { line: 1, column: 1 });
        let Kind::Map(inner) = &entries[0].1.kind else { panic!() };
        assert_eq!(inner[0].1.loc(), Location { line: 2, column: 6 });
        assert_eq!(scalar(&inner[0].1), "12");
        let Kind::Seq(items) = &inner[1].1.kind else { panic!() };
        assert_eq!(items[1].loc(), Location { line: 3, column: 10 });
        assert_eq!(entries[0].1.loc(), Location { line: 1, column: 1 }, "a block mapping value points at its key");
    }

    #[test]
    fn nulls_and_quoted_nulls() {
        let root = load("a:\nb: ~\nc: 'null'\n").unwrap();
        let Kind::Map(entries) = &root.kind else { panic!() };
        assert_eq!(entries[0].1.kind, Kind::Null);
        assert_eq!(entries[1].1.kind, Kind::Null);
        assert_eq!(scalar(&entries[2].1), "null");
    }

    #[test]
    fn refuses_duplicates_documents_and_bombs() {
        let err = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.kind(), &SdlErrorKind::DuplicateKey { key: "a".into() });
        assert_eq!(err.line(), 3);
        assert!(matches!(load("a: 1\n---\nb: 2\n").unwrap_err().kind(), SdlErrorKind::Invalid { .. }));
        assert_eq!(load("").unwrap_err().kind(), &SdlErrorKind::Empty);
        assert_eq!(load("# only a comment\n").unwrap_err().kind(), &SdlErrorKind::Empty);
        let deep = "[".repeat(500) + &"]".repeat(500);
        assert!(load(&deep).is_err());
        let deep_block: String = (0..200).map(|i| format!("{}-\n", " ".repeat(i * 2))).collect();
        assert!(load(&deep_block).is_err());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
            bomb += &format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n");
        }
        assert!(matches!(load(&bomb).unwrap_err().kind(), SdlErrorKind::TooComplex { .. }));
    }

    #[test]
    fn aliases_expand() {
        let root = load("a: &x {k: v}\nb: *x\n").unwrap();
        let Kind::Map(entries) = &root.kind else { panic!() };
        assert_eq!(entries[0].1.kind, entries[1].1.kind);
    }

    #[test]
    fn syntax_errors_carry_the_position() {
        let err = load("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(matches!(err.kind(), SdlErrorKind::Syntax { .. }), "{err}");
        assert!(err.line() >= 2, "{err}");
    }
}
