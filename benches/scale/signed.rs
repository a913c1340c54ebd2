//! One request signed as a station signs it (the benchmarks that talk to
//! a county server): the answer's body is read whole, as a sync reads it.

use std::time::Duration;

use jiedai::sync::protocol::{self, Credentials};

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .new_agent()
}

/// POSTs the gzip `body` to `path`, signed with the station's key.
pub fn post(
    agent: &ureq::Agent,
    creds: &Credentials,
    path: &str,
    body: &[u8],
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let key = creds.signing_key().ok_or("bad key")?;
    let time = chrono::Utc::now().timestamp();
    let sig = protocol::sign(
        &key,
        &protocol::signing_text("POST", path, &creds.station, time, body),
    );
    let response = agent
        .post(format!("{}{path}", creds.server))
        .header(protocol::H_STATION, &creds.station)
        .header(protocol::H_TIME, time.to_string())
        .header(protocol::H_SIGNATURE, &sig)
        .header("content-encoding", "gzip")
        .send(body)?;
    let mut answer = Vec::new();
    std::io::Read::read_to_end(&mut response.into_body().into_reader(), &mut answer)?;
    Ok(answer)
}
