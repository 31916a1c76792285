//! `bare-hyper`: the baseline of the HTTP comparison in its own process. A bare hyper
//! HTTP/1.1 keep-alive server answering a fixed 200 JSON to any request, on a multi-threaded
//! tokio runtime with one worker per core, as the reference server's binary runs.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

/// A bare hyper HTTP/1.1 server answering a fixed 200 JSON to any request.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed on stdout)
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8001")]
    bind: SocketAddr,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("bare-hyper: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(args.bind).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("bare-hyper: cannot listen on {}: {err}", args.bind);
                return ExitCode::from(2);
            }
        };
        if let Ok(addr) = listener.local_addr() {
            println!("listening on http://{addr}");
        }
        tokio::select! {
            () = benches::baseline::serve(listener) => ExitCode::SUCCESS,
            _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
        }
    })
}
