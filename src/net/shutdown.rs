//! Waiting for Ctrl-C or SIGTERM.

use std::fmt;
use std::io;

/// The signal that asked the process to stop.
///
/// # Examples
///
/// ```
/// use framewise::net::ShutdownSignal;
///
/// assert_eq!(ShutdownSignal::Terminate.to_string(), "SIGTERM");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShutdownSignal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM, as sent by `kill`, systemd or a container runtime.
    Terminate,
}

impl fmt::Display for ShutdownSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShutdownSignal::Interrupt => "SIGINT",
            ShutdownSignal::Terminate => "SIGTERM",
        })
    }
}

/// Resolves at the first Ctrl-C or (on Unix) SIGTERM.
///
/// The signal handlers are installed when this function is called, not when
/// the future is first polled, so a signal that arrives in between is not
/// lost. Pass the future (mapped to `()`) to
/// [`Server::run`](super::Server::run) for a graceful shutdown.
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> std::io::Result<()> {
/// let signal = framewise::net::shutdown_signal()?;
/// let which = signal.await;
/// eprintln!("stopping on {which}");
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// An error if a signal handler cannot be installed.
pub fn shutdown_signal() -> io::Result<impl Future<Output = ShutdownSignal> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = int.recv() => ShutdownSignal::Interrupt,
                _ = term.recv() => ShutdownSignal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            // Without a handler there is nothing to wait for; never resolve
            // rather than stop at once.
            match tokio::signal::ctrl_c().await {
                Ok(()) => ShutdownSignal::Interrupt,
                Err(_) => std::future::pending().await,
            }
        }
    })
}
