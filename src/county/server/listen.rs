//! Listening: the TLS setup from PEM files, and serving plain or TLS
//! HTTP/1.1 until shutdown, with the edge's deadlines and connection cap.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};

use super::edge::{Capped, open_files};
use super::{HEADER_DEADLINE, MAX_CONNECTIONS, MAX_HEAD_BYTES, Server, router};
use crate::county::{CountyError, TlsProblem};

/// Open files kept for the database and the log, beyond connections.
const FILES_KEPT: u64 = 128;

/// Serves on `listen` until `shutdown` completes, then finishes the
/// requests under way. `bound` gets the address actually bound. With
/// `tls` (see `tls_config`) it speaks HTTPS only; HTTP/1.1 either way,
/// with the deadlines and limits above.
pub async fn serve(
    server: Server,
    listen: &str,
    tls: Option<RustlsConfig>,
    bound: impl FnOnce(std::net::SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CountyError> {
    let io = |e| CountyError::io(std::path::Path::new(listen), e);
    let files = open_files();
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let listener = listener.into_std().map_err(io)?;
    let handle = axum_server::Handle::<SocketAddr>::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        // Requests under way may finish; then the connections close.
        stopping.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    let capped = Capped {
        handle: handle.clone(),
        max: (files.saturating_sub(FILES_KEPT) as usize).clamp(64, MAX_CONNECTIONS),
    };
    let mut routes = router(server);
    if tls.is_some() {
        routes = routes.layer(axum::Extension(crate::county::console::layout::Tls));
    }
    let service = routes.into_make_service_with_connect_info::<SocketAddr>();
    let served = match tls {
        None => {
            let server = http1(listener, capped, handle).map_err(io)?;
            bound(addr);
            log::info!("county server listening on {addr}");
            server.serve(service).await
        }
        Some(tls) => {
            let acceptor = RustlsAcceptor::new(tls)
                .handshake_timeout(HEADER_DEADLINE)
                .acceptor(capped);
            let server = http1(listener, acceptor, handle).map_err(io)?;
            bound(addr);
            log::info!("county server listening on {addr} (TLS)");
            server.serve(service).await
        }
    };
    served.map_err(io)?;
    log::info!("county server stopped");
    Ok(())
}

/// A server on `listener` through `acceptor`: HTTP/1.1 only, heads
/// capped at `MAX_HEAD_BYTES`, and the head's deadline also the idle
/// limit between requests.
fn http1<A>(
    listener: std::net::TcpListener,
    acceptor: A,
    handle: axum_server::Handle<SocketAddr>,
) -> std::io::Result<axum_server::Server<SocketAddr, A>> {
    let mut server = axum_server::from_tcp(listener)?
        .acceptor(acceptor)
        .handle(handle)
        .http1_only();
    server
        .http_builder()
        .http1()
        .header_read_timeout(HEADER_DEADLINE)
        .max_buf_size(MAX_HEAD_BYTES);
    Ok(server)
}

/// The server's TLS setup from a PEM certificate chain and private key
/// (ring, TLS 1.2 and 1.3). Every failure names the file.
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<RustlsConfig, CountyError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |path: &std::path::Path, problem| CountyError::Tls {
        path: path.to_path_buf(),
        problem,
    };
    let cert_pem = std::fs::read(cert).map_err(|e| tls(cert, TlsProblem::ReadCert(e)))?;
    let key_pem = std::fs::read(key).map_err(|e| tls(key, TlsProblem::ReadKey(e)))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| tls(cert, TlsProblem::NoCert))?;
    if chain.is_empty() {
        return Err(tls(cert, TlsProblem::NoCert));
    }
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| tls(key, TlsProblem::NoKey))?;
    let refused = |detail: String| {
        tls(
            key,
            TlsProblem::Refused {
                cert: cert.to_path_buf(),
                detail,
            },
        )
    };
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
            .map_err(|e| refused(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| refused(e.to_string()))?;
    // HTTP/1.1 only: its head deadline holds every connection.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
