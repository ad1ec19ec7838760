//! Shared test support: feed bytes to a decoder in arbitrary reads, the way a
//! socket would, and record everything it says.
//!
//! Every codec's suite uses [`run`] so that "the same bytes split differently
//! give the same frames and errors" is checked one way for all of them.
// Each test binary uses a different part of this module, and `pub` here is
// for the test files that include it, not for a public API.
#![allow(dead_code, unreachable_pub)]

use bytes::BytesMut;
use proptest::prelude::*;
use tokio_util::codec::Decoder;

pub mod in_place;

/// One thing a decoder said: a frame, or an error rendered as text (errors are
/// compared across splits by their Display, which carries every number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<T> {
    Frame(T),
    Err(String),
}

/// What a whole run of a decoder over a byte stream produced.
#[derive(Debug)]
pub struct Outcome<T> {
    pub events: Vec<Event<T>>,
    /// The largest number of bytes left in the read buffer after a decode
    /// call returned `Ok(None)` (that is, what the decoder kept waiting).
    pub max_buffered: usize,
}

impl<T: Clone> Outcome<T> {
    pub fn frames(&self) -> Vec<T> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Frame(f) => Some(f.clone()),
                Event::Err(_) => None,
            })
            .collect()
    }

    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Err(s) => Some(s.clone()),
                Event::Frame(_) => None,
            })
            .collect()
    }
}

/// Turn cut points into chunk boundaries: the cuts are taken modulo the data
/// length, sorted and deduplicated, so any `Vec<usize>` from proptest works.
pub fn chunks<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<usize> = cuts.iter().map(|c| c % data.len()).collect();
    points.push(0);
    points.push(data.len());
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

/// Feed `data` to `codec` in the reads given by `cuts`, decoding everything
/// decodable after each read, then signal end of stream.
///
/// After a recoverable error decoding continues, as the contract promises;
/// after an unrecoverable one the run stops (a second call must repeat the
/// error: that is checked here too). Panics if a decoder loops: every call
/// that returns a frame or an error must be followed by progress.
pub fn run<D>(codec: &mut D, data: &[u8], cuts: &[usize]) -> Outcome<D::Item>
where
    D: Decoder<Error = framewise::Error>,
{
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut max_buffered = 0;
    let mut guard = 0usize;
    for chunk in chunks(data, cuts) {
        buf.extend_from_slice(chunk);
        loop {
            guard += 1;
            assert!(
                guard < 10 * data.len() + 100,
                "decoder does not make progress"
            );
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => events.push(Event::Frame(frame)),
                Ok(None) => {
                    max_buffered = max_buffered.max(buf.len());
                    break;
                }
                Err(e) if e.is_recoverable() => events.push(Event::Err(e.to_string())),
                Err(e) => {
                    match codec.decode(&mut buf) {
                        Err(again) => assert_eq!(e.to_string(), again.to_string()),
                        Ok(_) => panic!("fatal error {e} was not repeated"),
                    }
                    events.push(Event::Err(e.to_string()));
                    return Outcome {
                        events,
                        max_buffered,
                    };
                }
            }
        }
    }
    loop {
        guard += 1;
        assert!(
            guard < 10 * data.len() + 100,
            "decode_eof does not make progress"
        );
        match codec.decode_eof(&mut buf) {
            Ok(Some(frame)) => events.push(Event::Frame(frame)),
            Ok(None) => break,
            Err(e) => {
                let fatal = !e.is_recoverable();
                events.push(Event::Err(e.to_string()));
                if fatal || buf.is_empty() {
                    break;
                }
            }
        }
    }
    assert!(
        buf.is_empty() || matches!(events.last(), Some(Event::Err(_))),
        "decode_eof left {} bytes without saying so",
        buf.len()
    );
    Outcome {
        events,
        max_buffered,
    }
}

/// Encode every item into one buffer; panics if the encoder refuses one.
pub fn encode_all<E, I>(codec: &mut E, items: impl IntoIterator<Item = I>) -> BytesMut
where
    E: tokio_util::codec::Encoder<I, Error = framewise::Error>,
{
    let mut buf = BytesMut::new();
    for item in items {
        codec
            .encode(item, &mut buf)
            .expect("encoder refused an item");
    }
    buf
}

/// Read splits: a list of cut points, or one byte at a time.
pub fn cuts_strategy(max_len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        3 => proptest::collection::vec(0..max_len.max(1), 0..16),
        1 => Just((0..max_len).collect::<Vec<_>>()),
    ]
}
