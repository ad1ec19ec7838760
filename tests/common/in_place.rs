//! The framing core's side of the harness: [`run_in_place`] feeds bytes to a
//! [`DecodeMut`] in the same reads as [`run`](super::run) feeds a tokio-util
//! decoder, over a plain `Vec<u8>`, so the two can be compared event for event.

use bytes::Bytes;
use framewise::{DecodeMut, Decoded};

use super::{Event, Outcome, chunks};

/// Checks an answer against the bytes it was given: a frame lies inside the
/// bytes it consumes, and nothing past the end is consumed.
fn check(answer: &Decoded, available: usize) {
    if let Decoded::Frame {
        start,
        len,
        consumed,
    } = *answer
    {
        assert!(
            start + len <= consumed,
            "frame {start}+{len} past consumed {consumed}"
        );
    }
    assert!(
        answer.consumed() <= available,
        "{answer:?} consumes more than the {available} bytes given"
    );
}

/// Like [`run`](super::run), through [`DecodeMut`]: the caller's buffer is a
/// `Vec<u8>`, each answer's `consumed` bytes are drained from its front, and
/// frames are copied out as `Bytes`. Errors, recovery, the repeat of a fatal
/// error, `max_buffered` and the end of the stream are handled as `run` does.
pub fn run_in_place<D: DecodeMut + ?Sized>(
    codec: &mut D,
    data: &[u8],
    cuts: &[usize],
) -> Outcome<Bytes> {
    let mut buf: Vec<u8> = Vec::new();
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
            let answer = codec.decode_in_place(&mut buf);
            check(&answer, buf.len());
            match answer {
                Decoded::Frame {
                    start,
                    len,
                    consumed,
                } => {
                    events.push(Event::Frame(Bytes::copy_from_slice(
                        &buf[start..start + len],
                    )));
                    buf.drain(..consumed);
                }
                Decoded::Incomplete { consumed } => {
                    buf.drain(..consumed);
                    max_buffered = max_buffered.max(buf.len());
                    break;
                }
                Decoded::Error { consumed, error } => {
                    buf.drain(..consumed);
                    if !error.is_recoverable() {
                        match codec.decode_in_place(&mut buf) {
                            Decoded::Error { error: again, .. } => {
                                assert_eq!(error.to_string(), again.to_string())
                            }
                            other => panic!("fatal error {error} was not repeated: {other:?}"),
                        }
                        events.push(Event::Err(error.to_string()));
                        return Outcome {
                            events,
                            max_buffered,
                        };
                    }
                    events.push(Event::Err(error.to_string()));
                }
            }
        }
    }
    loop {
        guard += 1;
        assert!(
            guard < 10 * data.len() + 100,
            "decode_in_place_eof does not make progress"
        );
        let answer = codec.decode_in_place_eof(&mut buf);
        check(&answer, buf.len());
        match answer {
            Decoded::Frame {
                start,
                len,
                consumed,
            } => {
                events.push(Event::Frame(Bytes::copy_from_slice(
                    &buf[start..start + len],
                )));
                buf.drain(..consumed);
            }
            Decoded::Incomplete { consumed } => {
                buf.drain(..consumed);
                break;
            }
            Decoded::Error { consumed, error } => {
                buf.drain(..consumed);
                let fatal = !error.is_recoverable();
                events.push(Event::Err(error.to_string()));
                if fatal || buf.is_empty() {
                    break;
                }
            }
        }
    }
    assert!(
        buf.is_empty() || matches!(events.last(), Some(Event::Err(_))),
        "decode_in_place_eof left {} bytes without saying so",
        buf.len()
    );
    Outcome {
        events,
        max_buffered,
    }
}
