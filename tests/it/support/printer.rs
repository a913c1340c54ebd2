//! A fake ESC/POS printer on a loopback port: it keeps every byte it is
//! sent and answers status queries (DLE EOT) as a ready printer, a silent
//! one or one out of paper would.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, PartialEq)]
pub enum Behaviour {
    Ready,
    /// Takes the connection and the bytes, never answers.
    Silent,
    /// Answers that the paper roll is empty.
    PaperOut,
    /// Ready before the slip, out of paper once it has printed (the roll
    /// ran out at the end of it).
    PaperOutAfter,
}

/// A printer on 127.0.0.1 that keeps every byte it is sent.
pub struct FakePrinter {
    port: u16,
    captured: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
}

impl FakePrinter {
    pub fn start(behaviour: Behaviour) -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let captured = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (captured.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let c = c.clone();
                        std::thread::spawn(move || serve(stream, behaviour, c));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FakePrinter { port, captured, stop }
    }

    pub fn target(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.captured.lock().unwrap().clone()
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut stream: TcpStream, behaviour: Behaviour, captured: Arc<Mutex<Vec<u8>>>) {
    stream.set_nonblocking(false).unwrap();
    let mut buf = [0u8; 4096];
    let mut tail: Vec<u8> = Vec::new();
    let mut paper_asked = 0;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        captured.lock().unwrap().extend_from_slice(&buf[..n]);
        tail.extend_from_slice(&buf[..n]);
        // Answer each DLE EOT n as it arrives.
        let mut i = 0;
        while i + 3 <= tail.len() {
            if tail[i] == 0x10 && tail[i + 1] == 0x04 && matches!(tail[i + 2], 1 | 4) {
                if tail[i + 2] == 4 {
                    paper_asked += 1;
                }
                let answer = match (behaviour, tail[i + 2]) {
                    (Behaviour::Silent, _) => None,
                    (Behaviour::PaperOut, 4) => Some(0x72),
                    (Behaviour::PaperOutAfter, 4) if paper_asked > 1 => Some(0x72),
                    _ => Some(0x12),
                };
                if let Some(a) = answer {
                    let _ = stream.write_all(&[a]);
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        tail.drain(..i);
    }
}
