//! A TCP proxy that delays every byte by a fixed time in each direction, as a network between
//! data centres would: a node that reaches PostgreSQL through it pays the delay twice on every
//! round trip, so a benchmark measures how the work scales with round trips rather than with
//! this machine's cores.
//!
//! It listens on `127.0.0.1:0`; each accepted connection gets one of its own to the upstream.
//! Each direction is a reader and a writer joined by a queue of `(deadline, bytes)`: the
//! reader stamps each chunk `read at + delay` and queues it at once, the writer waits until
//! the chunk's deadline and writes it. A chunk read at `t` is therefore written at `t + delay`
//! even when more bytes arrived meanwhile, in order, and neither direction waits on the
//! other's delay.
//!
//! The waits are kept by a thread of the proxy's own rather than by tokio's timer, which
//! rounds each deadline up to the next whole millisecond and parks in whole milliseconds: with
//! it, a 1 ms delay came out at 2.2 ms on average on the 2-core benchmark machine. The thread
//! sleeps to the microsecond, so a chunk is written no earlier than its deadline and there
//! about 0.15 ms after it; [`DelayProxy::delays`] tells what the chunks waited in each run.

use std::{
    collections::BTreeMap,
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
        mpsc::{self as std_mpsc, RecvTimeoutError},
    },
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::{mpsc, oneshot},
    task::{JoinHandle, JoinSet},
};

/// Chunks a direction may hold before its reader waits for the writer.
const QUEUE: usize = 1024;
/// The largest chunk read at once.
const CHUNK: usize = 64 * 1024;

/// A running proxy; it stops, closing every connection, when dropped.
pub struct DelayProxy {
    addr: SocketAddr,
    relay: Arc<Relay>,
    accept: JoinHandle<()>,
}

/// Chunks written so far, across connections and directions, and their time from read to
/// written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delays {
    /// Chunks written.
    pub chunks: u64,
    /// Their time from read to written, summed.
    pub total: Duration,
}

impl Delays {
    /// The mean time from read to written; `None` before the first chunk.
    pub fn mean(&self) -> Option<Duration> {
        (self.chunks > 0).then(|| self.total.div_f64(self.chunks as f64))
    }
}

impl std::iter::Sum for Delays {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |a, b| Self {
            chunks: a.chunks + b.chunks,
            total: a.total + b.total,
        })
    }
}

/// What every connection of one proxy shares.
struct Relay {
    upstream: SocketAddr,
    delay: Duration,
    timer: Timer,
    /// Chunks written.
    chunks: AtomicU64,
    /// Their time from read to written, summed, in microseconds.
    delay_micros: AtomicU64,
}

impl DelayProxy {
    /// Listens on `127.0.0.1:0` and relays each connection to `upstream`, `delay` late each way.
    pub async fn start(upstream: SocketAddr, delay: Duration) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let relay = Arc::new(Relay {
            upstream,
            delay,
            timer: Timer::start()?,
            chunks: AtomicU64::new(0),
            delay_micros: AtomicU64::new(0),
        });
        let accept = tokio::spawn(accept(listener, relay.clone()));
        Ok(Self { addr, relay, accept })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The chunks written so far and how long they waited.
    pub fn delays(&self) -> Delays {
        Delays {
            chunks: self.relay.chunks.load(Ordering::Relaxed),
            total: Duration::from_micros(self.relay.delay_micros.load(Ordering::Relaxed)),
        }
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        // The connections' tasks live in the accept task's `JoinSet`, which aborts them; the
        // timer's thread ends with the last of them.
        self.accept.abort();
    }
}

async fn accept(listener: TcpListener, relay: Arc<Relay>) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                while connections.try_join_next().is_some() {}
                connections.spawn(connection(client, relay.clone()));
            }
            // Out of file descriptors, say: wait rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Relays one connection until both directions have ended; a failure in either ends both.
async fn connection(client: TcpStream, relay: Arc<Relay>) {
    let Ok(server) = TcpStream::connect(relay.upstream).await else { return };
    // The delay is the proxy's only one: no waiting to coalesce small writes.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let _ = tokio::try_join!(
        direction(client_read, server_write, &relay),
        direction(server_read, client_write, &relay),
    );
}

/// Forwards `from` to `to`, each chunk no earlier than the delay after it was read; at the end
/// of `from`, shuts down `to` once every queued chunk is written.
async fn direction(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    relay: &Relay,
) -> io::Result<()> {
    let (queue, mut due) = mpsc::channel::<(Instant, Vec<u8>)>(QUEUE);
    let reader = async move {
        let mut buf = vec![0; CHUNK];
        loop {
            let n = from.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            if queue.send((Instant::now() + relay.delay, buf[..n].to_vec())).await.is_err() {
                // The writer failed; its error ends the direction.
                return Ok(());
            }
        }
    };
    let writer = async move {
        while let Some((deadline, bytes)) = due.recv().await {
            relay.timer.sleep_until(deadline).await;
            to.write_all(&bytes).await?;
            let waited = (deadline - relay.delay).elapsed();
            relay.chunks.fetch_add(1, Ordering::Relaxed);
            let micros = waited.as_micros().try_into().unwrap_or(u64::MAX);
            relay.delay_micros.fetch_add(micros, Ordering::Relaxed);
        }
        to.shutdown().await
    };
    tokio::try_join!(reader, writer).map(|_| ())
}

/// Wakes tasks at their deadlines, to the microsecond: a thread that keeps the deadlines in
/// order and sleeps until the first.
struct Timer {
    requests: std_mpsc::Sender<(Instant, oneshot::Sender<()>)>,
}

impl Timer {
    /// Starts the thread; it ends when the timer is dropped.
    fn start() -> io::Result<Self> {
        let (requests, received) = std_mpsc::channel();
        std::thread::Builder::new().name("delay-proxy-timer".to_owned()).spawn(move || {
            let mut due: BTreeMap<(Instant, u64), oneshot::Sender<()>> = BTreeMap::new();
            let mut next_id = 0_u64;
            loop {
                // Wake every deadline that has passed; never one early.
                let now = Instant::now();
                while let Some(first) = due.first_entry() {
                    if first.key().0 > now {
                        break;
                    }
                    let _ = first.remove().send(());
                }
                let request = match due.first_key_value() {
                    Some((&(deadline, _), _)) => received.recv_timeout(deadline - now),
                    None => received.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                match request {
                    Ok((deadline, wake)) => {
                        due.insert((deadline, next_id), wake);
                        next_id += 1;
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })?;
        Ok(Self { requests })
    }

    /// Returns at `deadline` or later.
    async fn sleep_until(&self, deadline: Instant) {
        if deadline <= Instant::now() {
            return;
        }
        let (wake, woken) = oneshot::channel();
        if self.requests.send((deadline, wake)).is_ok() && woken.await.is_ok() {
            return;
        }
        // No thread (it cannot end while the timer lives, but should it): tokio's timer.
        tokio::time::sleep_until(deadline.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that echoes every connection back to itself.
    async fn echo_server() -> io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    socket.set_nodelay(true)?;
                    let (mut read, mut write) = socket.split();
                    tokio::io::copy(&mut read, &mut write).await?;
                    write.shutdown().await
                });
            }
        });
        Ok(addr)
    }

    #[tokio::test]
    async fn bytes_arrive_intact_and_in_order() -> io::Result<()> {
        let proxy = DelayProxy::start(echo_server().await?, Duration::from_millis(1)).await?;
        let sent: Vec<u8> = (0..1_000_000_u32).map(|i| (i % 251) as u8).collect();
        let (mut read, mut write) = TcpStream::connect(proxy.addr()).await?.into_split();
        let writing = tokio::spawn({
            let sent = sent.clone();
            async move {
                // Writes of uneven sizes, so that chunks straddle the writes' boundaries.
                for part in sent.chunks(7_919) {
                    write.write_all(part).await?;
                    tokio::task::yield_now().await;
                }
                write.shutdown().await
            }
        });
        let mut received = Vec::new();
        read.read_to_end(&mut received).await?;
        writing.await??;
        assert_eq!(received.len(), sent.len());
        assert!(received == sent, "the bytes came back changed or out of order");
        Ok(())
    }

    #[tokio::test]
    async fn a_round_trip_takes_at_least_twice_the_delay() -> io::Result<()> {
        let delay = Duration::from_millis(1);
        let proxy = DelayProxy::start(echo_server().await?, delay).await?;
        let mut socket = TcpStream::connect(proxy.addr()).await?;
        socket.set_nodelay(true)?;
        let mut byte = [0_u8; 1];
        for i in 0..20_u8 {
            let sent = std::time::Instant::now();
            socket.write_all(&[i]).await?;
            socket.read_exact(&mut byte).await?;
            let took = sent.elapsed();
            assert_eq!(byte[0], i);
            assert!(took >= 2 * delay, "round trip {i} took {took:?}, under twice {delay:?}");
        }
        assert!(proxy.delays().mean().is_some_and(|mean| mean >= delay));
        Ok(())
    }
}
