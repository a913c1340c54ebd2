//! A TCP proxy on loopback between a station and the county server that
//! misbehaves the way station networks do: it cuts connections at random
//! byte offsets on the way up (the server never gets the whole request)
//! and on the way down (the server committed, the answer is lost, whole or
//! in part), and it delays. Faults are drawn per connection from a seeded
//! generator, so a failing run can be replayed from its seed.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

/// What happened to the connections so far.
#[derive(Debug, Default)]
pub struct Counts {
    pub connections: AtomicU64,
    pub cut_up: AtomicU64,
    pub cut_down: AtomicU64,
    pub delayed: AtomicU64,
}

pub struct Proxy {
    pub addr: SocketAddr,
    /// While false, connections pass untouched.
    pub faulty: Arc<AtomicBool>,
    pub counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// How one connection misbehaves.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Bytes passed up before the connection is cut.
    up: Option<u64>,
    /// Bytes passed down before the connection is cut.
    down: Option<u64>,
    /// Pause before each chunk.
    delay: Duration,
}

impl Proxy {
    /// Starts a proxy to `upstream`. About `percent` of connections get a
    /// fault.
    pub fn start(upstream: SocketAddr, seed: u64, percent: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let faulty = Arc::new(AtomicBool::new(true));
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)));
        {
            let (faulty, counts, stop) = (faulty.clone(), counts.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let client = match listener.accept() {
                        Ok((s, _)) => s,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(2));
                            continue;
                        }
                        Err(_) => break,
                    };
                    counts.connections.fetch_add(1, Ordering::Relaxed);
                    let plan = {
                        let mut r = rng.lock().unwrap();
                        if faulty.load(Ordering::Relaxed) && r.below(100) < percent {
                            match r.below(4) {
                                // Cut on the way up, anywhere in the request.
                                0 => Plan {
                                    up: Some(r.below(20_000)),
                                    down: None,
                                    delay: Duration::ZERO,
                                },
                                // The answer lost, whole or in part: the
                                // server has committed.
                                1 | 2 => Plan {
                                    up: None,
                                    down: Some(r.below(500)),
                                    delay: Duration::ZERO,
                                },
                                // Slow, then the answer lost.
                                _ => Plan {
                                    up: None,
                                    down: Some(r.below(800)),
                                    delay: Duration::from_millis(1 + r.below(30)),
                                },
                            }
                        } else {
                            Plan {
                                up: None,
                                down: None,
                                delay: Duration::ZERO,
                            }
                        }
                    };
                    let counts = counts.clone();
                    thread::spawn(move || relay(client, upstream, plan, &counts));
                }
            });
        }
        Proxy {
            addr,
            faulty,
            counts,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn relay(client: TcpStream, upstream: SocketAddr, plan: Plan, counts: &Counts) {
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    if !plan.delay.is_zero() {
        counts.delayed.fetch_add(1, Ordering::Relaxed);
    }
    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (c3, s3) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let up = thread::spawn(move || {
        if pump(c2, s2, plan.up, plan.delay) {
            counts_bump(&c3, &s3);
            return true;
        }
        false
    });
    let cut_down = pump(server, client, plan.down, plan.delay);
    let cut_up = up.join().unwrap_or(false);
    if cut_up {
        counts.cut_up.fetch_add(1, Ordering::Relaxed);
    }
    if cut_down {
        counts.cut_down.fetch_add(1, Ordering::Relaxed);
    }
}

fn counts_bump(a: &TcpStream, b: &TcpStream) {
    let _ = a.shutdown(Shutdown::Both);
    let _ = b.shutdown(Shutdown::Both);
}

/// Copies `from` to `to`, at most `limit` bytes; true when it cut the
/// connection there.
fn pump(mut from: TcpStream, mut to: TcpStream, limit: Option<u64>, delay: Duration) -> bool {
    let mut passed = 0u64;
    let mut buf = [0u8; 8192];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = to.shutdown(Shutdown::Write);
                return false;
            }
            Ok(n) => n,
        };
        if !delay.is_zero() {
            thread::sleep(delay);
        }
        let allowed = match limit {
            Some(l) => (l.saturating_sub(passed) as usize).min(n),
            None => n,
        };
        if to.write_all(&buf[..allowed]).is_err() {
            return false;
        }
        passed += allowed as u64;
        if allowed < n {
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
            return true;
        }
    }
}
