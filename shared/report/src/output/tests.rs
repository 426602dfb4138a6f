//! The bounded output: a reader that stalls, leaves or comes back loses lines, never a wait.

use super::*;
use std::sync::mpsc;

/// A reader that takes nothing until told to, then passes everything on.
struct Gate {
    /// Opens the gate (once).
    open: Option<mpsc::Receiver<()>>,
    /// Where the bytes go once open.
    out: mpsc::Sender<Vec<u8>>,
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(open) = self.open.take() {
            open.recv_timeout(Duration::from_secs(20))
                .map_err(|_| io::Error::other("the test never opened the gate"))?;
        }
        let _ = self.out.send(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a reader that stalls (the queue holding 100 bytes meanwhile) reads once it reads
/// again, after `total` lines were written and flushed one by one, each made by `line`.
fn read_after_a_stall(
    total: usize,
    dropped_line: DroppedLine,
    mut line: impl FnMut(usize) -> String,
) -> String {
    let (open, gate) = mpsc::channel();
    let (sender, received) = mpsc::channel();
    let reader = Gate {
        open: Some(gate),
        out: sender,
    };
    let mut output = Output::spawn(reader, 100, dropped_line).expect("writer thread");
    for n in 0..total {
        writeln!(output, "{}", line(n)).expect("queued");
        output.flush().expect("queued");
    }
    open.send(()).expect("gate");
    assert!(output.finish(Duration::from_secs(20)), "all written");
    received
        .try_iter()
        .map(|chunk| String::from_utf8_lossy(&chunk).into_owned())
        .collect()
}

#[test]
fn a_reader_that_stalls_costs_the_oldest_lines_and_hears_how_many() {
    // Each line is 10 bytes; the queue holds 10 of them while the reader stalls.
    let total = 1000;
    let text = read_after_a_stall(
        total,
        Box::new(|count, _| format!("dropped {count}")),
        |n| format!("line {n:04}"),
    );
    let lines: Vec<&str> = text.lines().collect();
    // The writer may take a batch before it meets the stalled reader, and the lines
    // dropped before and after that batch are then told in two notes.
    let notes: Vec<usize> = lines
        .iter()
        .filter_map(|line| line.strip_prefix("dropped "))
        .map(|count| count.parse().expect("a count"))
        .collect();
    assert!(!notes.is_empty(), "a line says how many were dropped");
    assert!(notes.len() <= 2, "{lines:?}");
    let dropped: usize = notes.iter().sum();
    assert_eq!(lines.len(), total - dropped + notes.len(), "{lines:?}");
    assert_eq!(
        lines.last(),
        Some(&"line 0999"),
        "the newest lines are kept"
    );
    assert!(lines.len() <= 2 * 10 + notes.len(), "{lines:?}");
}

#[test]
fn a_dropped_batch_counts_each_of_its_lines() {
    assert_eq!(lines_in(b"one\ntwo\n"), 2);
    assert_eq!(lines_in(b"one\ntwo"), 2);
    assert_eq!(lines_in(b""), 0);
}

/// A reader that says when a write reaches it, then never takes it.
struct Stuck(mpsc::Sender<()>);

impl Write for Stuck {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        let _ = self.0.send(());
        // Until the test's end: the writer thread is left waiting, as on a stalled pipe.
        std::thread::sleep(Duration::from_secs(60));
        Err(io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn lines_a_stalled_reader_never_got_are_counted() {
    let (entered, writing) = mpsc::channel();
    let mut output =
        Output::spawn(Stuck(entered), 1000, Box::new(|_, _| String::new())).expect("writer");
    writeln!(output, "taken by the writer").expect("queued");
    output.flush().expect("queued");
    writing
        .recv_timeout(Duration::from_secs(20))
        .expect("the writer is in its write");
    for n in 0..3 {
        writeln!(output, "waiting {n}").expect("queued");
        output.flush().expect("queued");
    }
    assert_eq!(
        output.unwritten(),
        3,
        "the three lines behind the stuck write"
    );
    assert!(
        !output.finish(Duration::from_millis(1)),
        "the writer cannot finish while its reader does not read"
    );
}

/// An output that cannot take lines (a full disk).
struct Full;

impl Write for Full {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(28))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An output to `writer` that has written one line and heard (within 20 s) that its reader is
/// gone.
async fn gone_after_one_line(writer: impl Write + Send + 'static) -> Output {
    let mut output = Output::spawn(writer, 100, Box::new(|_, _| String::new())).expect("writer");
    let gone = output.reader_gone();
    writeln!(output, "one").expect("queued");
    output.flush().expect("queued");
    tokio::time::timeout(Duration::from_secs(20), gone.wait())
        .await
        .expect("told the output is gone");
    output
}

#[tokio::test]
async fn an_output_that_fails_stops_the_program_and_says_why() {
    let output = gone_after_one_line(Full).await;
    let failure = output.failure().expect("the failure is kept");
    assert!(failure.contains("space"), "{failure}");
}

#[tokio::test]
async fn once_the_reader_is_gone_writes_fail_and_the_program_hears_of_it() {
    // The failed line was the last: nothing but the wait for it tells the program.
    let mut output = gone_after_one_line(test_support::ReaderGone).await;
    assert!(output.finish(Duration::from_secs(20)));
    let refused = writeln!(output, "two").and_then(|()| output.flush());
    assert_eq!(
        refused.map_err(|e| e.kind()),
        Err(io::ErrorKind::BrokenPipe)
    );
    assert_eq!(output.failure(), None, "a reader that leaves is no failure");
}

/// Nanoseconds since 1970.
fn nanos(at: SystemTime) -> u128 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos()
}

/// The note about dropped lines stands where they stood, and so does its moment: the
/// moments in the output never go back, though the note is written once the reader reads
/// again, after every line that follows it was made.
#[test]
fn the_note_about_dropped_lines_keeps_the_moments_in_order() {
    let text = read_after_a_stall(
        1000,
        Box::new(|count, at| format!("dropped {count} at {}", nanos(at))),
        |_| format!("at {}", nanos(SystemTime::now())),
    );
    assert!(text.contains("dropped "), "lines were dropped: {text}");
    let moments: Vec<u128> = text
        .lines()
        .map(|line| {
            let (_, at) = line.rsplit_once("at ").expect("a moment");
            at.parse().expect("nanoseconds")
        })
        .collect();
    assert!(moments.windows(2).all(|pair| pair[0] <= pair[1]), "{text}");
}

/// Lines of every length around PIPE_BUF, cut into writes for a pipe with room for a page
/// and for an empty one: each write is whole lines of at most the room, or one longer line
/// alone, and together they are the batch.
#[test]
fn each_write_is_whole_lines_a_pipe_takes_whole() {
    let mut batch = Vec::new();
    for (n, length) in [
        1, 10, 4095, 4096, 4097, 3000, 2000, 9000, 5, 4094, 70_000, 60_000,
    ]
    .into_iter()
    .cycle()
    .take(60)
    .enumerate()
    {
        let letter = b"abcdefghijklmnopqrstuvwxyz"[n % 26];
        batch.extend(std::iter::repeat_n(letter, length - 1));
        batch.push(b'\n');
    }
    batch.extend_from_slice(b"no newline at the end");
    for room in [PIPE_BUF, 16 * PIPE_BUF] {
        let mut rest = &batch[..];
        let mut writes = Vec::new();
        while !rest.is_empty() {
            let (chunk, after) = rest.split_at(whole_lines_within(rest, room));
            writes.push(chunk);
            rest = after;
        }
        assert_eq!(writes.concat(), batch, "every byte once, in order");
        for (index, write) in writes.iter().enumerate() {
            let last = index == writes.len() - 1;
            assert!(last || write.ends_with(b"\n"), "write {index} ends a line");
            let lines = lines_in(write);
            assert!(
                write.len() <= room || lines <= 1,
                "room {room}, write {index}: {} bytes, {lines} lines",
                write.len()
            );
        }
        assert!(
            writes.iter().any(|write| lines_in(write) > 1),
            "room {room}: short lines share a write"
        );
    }
}

/// The lines `text` holds, and the counts its notes say were dropped.
fn lines_and_drops(text: &str) -> (Vec<&str>, u64) {
    let mut lines = Vec::new();
    let mut dropped = 0;
    for line in text.lines() {
        match line.strip_prefix("dropped ") {
            Some(count) => dropped += count.parse::<u64>().expect("a count"),
            None => lines.push(line),
        }
    }
    (lines, dropped)
}

/// Through a real pipe, written straight while it has room: a reader that stops reading
/// still never makes the program wait, and what it reads later is in order, the newest
/// lines kept and the dropped ones counted. Flushed a line at a time, and in batches of
/// several pages (the first of which an empty pipe takes in one write).
#[cfg(unix)]
#[test]
fn a_pipe_whose_reader_stalls_never_blocks_and_keeps_order() {
    for lines_a_flush in [1, 2_000] {
        let (lines, dropped, total) = stalled_pipe(lines_a_flush);
        assert!(dropped > 0, "a note says lines were dropped");
        assert_eq!(
            lines.len() as u64 + dropped,
            total as u64,
            "each line arrives or is counted"
        );
        let numbers: Vec<usize> = lines
            .iter()
            .map(|line| {
                line.strip_prefix("line ")
                    .expect("a whole line")
                    .parse()
                    .expect("n")
            })
            .collect();
        assert!(numbers.is_sorted(), "in order");
        assert_eq!(
            numbers.last(),
            Some(&(total - 1)),
            "the newest line is kept"
        );
    }
}

/// 20,000 lines (200 KB, three times what a pipe holds) written into a pipe nobody reads,
/// `lines_a_flush` to a flush, then read: the lines that arrived, how many the notes say
/// were dropped, and how many were written.
#[cfg(unix)]
fn stalled_pipe(lines_a_flush: usize) -> (Vec<String>, u64, usize) {
    let (reader, writer) = io::pipe().expect("a pipe");
    let total: usize = 20_000;
    let (done, written) = mpsc::channel();
    std::thread::spawn(move || {
        let mut output = Output::to_pipe(
            writer.into(),
            1000,
            Box::new(|count, _| format!("dropped {count}")),
        )
        .expect("writer thread");
        for n in 0..total {
            writeln!(output, "line {n:04}").expect("queued");
            if (n + 1) % lines_a_flush == 0 {
                output.flush().expect("queued");
            }
        }
        output.flush().expect("queued");
        done.send(()).expect("the test waits");
        output.finish(Duration::from_secs(20))
    });
    written
        .recv_timeout(Duration::from_secs(20))
        .expect("every line was taken while the reader did not read");
    let mut text = String::new();
    io::Read::read_to_string(&mut { reader }, &mut text).expect("read to the end");
    let (lines, dropped) = lines_and_drops(&text);
    (
        lines.into_iter().map(str::to_owned).collect(),
        dropped,
        total,
    )
}

#[cfg(unix)]
#[tokio::test]
async fn a_reader_closing_the_pipe_is_heard_without_another_write() {
    let (mut reader, writer) = io::pipe().expect("a pipe");
    let mut output = Output::to_pipe(writer.into(), 1000, Box::new(|_, _| String::new()))
        .expect("writer thread");
    writeln!(output, "the only line").expect("queued");
    output.flush().expect("queued");
    let mut line = [0; 14];
    io::Read::read_exact(&mut reader, &mut line).expect("the line arrives");
    assert_eq!(&line, b"the only line\n");
    let gone = output.reader_gone();
    // The program has nothing more to say; `head -1` leaves.
    drop(reader);
    tokio::time::timeout(Duration::from_secs(20), gone.wait())
        .await
        .expect("told the reader is gone, though nothing was written after");
    assert!(output.finish(Duration::from_secs(20)), "the writer ended");
}

/// What a write may take without waiting: an empty pipe all of its size, one holding
/// something a page while a page is free, a full one nothing; and once its reader is gone a
/// page, so the write fails at once and says so.
#[cfg(target_os = "linux")]
#[test]
fn the_room_in_a_pipe_is_all_of_it_when_empty_a_page_while_one_is_free() {
    let (reader, writer) = io::pipe().expect("a pipe");
    let mut pipe = std::fs::File::from(std::os::fd::OwnedFd::from(writer));
    let size = rustix::pipe::fcntl_getpipe_size(&pipe).expect("the pipe's size");
    assert_eq!(room_in(&pipe), size, "an empty pipe");
    pipe.write_all(b"a line\n").expect("room");
    assert_eq!(room_in(&pipe), PIPE_BUF, "a pipe holding a line");
    let page = vec![b'x'; PIPE_BUF];
    let mut pages = 0;
    while room_in(&pipe) > 0 && pages < 1000 {
        pipe.write_all(&page).expect("room for a page");
        pages += 1;
    }
    assert_eq!(room_in(&pipe), 0, "a full pipe, after {pages} pages");
    drop(reader);
    assert_eq!(room_in(&pipe), PIPE_BUF, "a pipe nobody reads");
    let gone = pipe.write(b"more\n").expect_err("nobody reads");
    assert_eq!(gone.kind(), io::ErrorKind::BrokenPipe);
}

/// A line longer than a page, written while a stalled reader has left one page of the pipe
/// free: none of it goes in (a page of it would, and a stop then would leave half a line);
/// once the reader has emptied the pipe it goes in whole.
#[cfg(target_os = "linux")]
#[test]
fn a_long_line_waits_for_room_for_all_of_it() {
    let (mut reader, writer) = io::pipe().expect("a pipe");
    let mut pipe = std::fs::File::from(std::os::fd::OwnedFd::from(writer));
    let pages = rustix::pipe::fcntl_getpipe_size(&pipe).expect("the pipe's size") / PIPE_BUF - 1;
    let mut page = vec![b'x'; PIPE_BUF - 1];
    page.push(b'\n');
    for _ in 0..pages {
        pipe.write_all(&page).expect("room for a page");
    }
    let held = pages * PIPE_BUF;
    let mut output = Output::to_pipe(pipe.into(), 1 << 20, Box::new(|_, _| String::new()))
        .expect("writer thread");
    let long_line = format!("{}\n", "y".repeat(3 * PIPE_BUF));
    output.write_all(long_line.as_bytes()).expect("queued");
    output.flush().expect("queued");
    assert!(
        !output.finish(Duration::from_millis(300)),
        "not written while the reader does not read"
    );
    let in_pipe = rustix::io::ioctl_fionread(&reader).expect("bytes in the pipe");
    assert_eq!(in_pipe as usize, held, "nothing of the long line went in");
    let mut before = vec![0; held];
    io::Read::read_exact(&mut reader, &mut before).expect("the lines before");
    assert!(
        output.finish(Duration::from_secs(20)),
        "written once the pipe was emptied"
    );
    drop(output);
    let mut rest = String::new();
    io::Read::read_to_string(&mut reader, &mut rest).expect("read to the end");
    assert_eq!(rest, long_line, "the long line, whole");
}
