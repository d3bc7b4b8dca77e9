//! `quantarya healthcheck`: asks the service this host runs whether it is alive (`GET /healthz` on the address it
//! binds), for a container's `HEALTHCHECK` or a supervisor, with nothing but the binary (no curl in the image).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long the whole check may take, connection and answer each.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Where to ask, given the address the service binds: a wildcard address (`0.0.0.0`, `::`) is asked on loopback.
fn target(bind: &str) -> Result<SocketAddr, String> {
    let mut address = bind
        .to_socket_addrs()
        .map_err(|e| format!("{bind}: {e}"))?
        .next()
        .ok_or_else(|| format!("{bind} names no address"))?;
    if address.ip().is_unspecified() {
        let loopback = match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        address.set_ip(loopback);
    }
    Ok(address)
}

/// Succeeds when the service at `bind` answers `GET /healthz` with 200.
///
/// # Errors
///
/// What went wrong, in a few words: no connection, no answer within the timeout, or another status.
pub fn check(bind: &str) -> Result<(), String> {
    let address = target(bind)?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(|e| format!("{address}: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|e| format!("{address}: {e}"))?;
    let mut head = [0u8; 32];
    let read = stream.read(&mut head).map_err(|e| format!("{address}: {e}"))?;
    let status_line = String::from_utf8_lossy(&head[..read]);
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(status) => Err(format!("{address}/healthz answered {status}")),
        None => Err(format!("{address}/healthz gave no HTTP answer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_asked_on_loopback_and_a_named_one_as_named() {
        assert_eq!(target("0.0.0.0:8080"), Ok("127.0.0.1:8080".parse().expect("an address")));
        assert_eq!(target("[::]:9000"), Ok("[::1]:9000".parse().expect("an address")));
        assert_eq!(target("127.0.0.2:81"), Ok("127.0.0.2:81".parse().expect("an address")));
        assert!(target("nowhere").is_err());
    }
}
