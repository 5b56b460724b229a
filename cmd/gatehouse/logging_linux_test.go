package main

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// TestLogFormatOnTerminal: --log-format auto writes text to a terminal (a
// pseudo-terminal here), and json still means JSON there.
func TestLogFormatOnTerminal(t *testing.T) {
	for _, tt := range []struct {
		format string
		json   bool
	}{{"auto", false}, {"json", true}} {
		master, tty := openPTY(t)
		got := logLine(t, tt.format, tty, func() string {
			b := make([]byte, 4096)
			master.SetReadDeadline(time.Now().Add(10 * time.Second)) // fail, not hang, when nothing is written
			n, err := master.Read(b)
			if err != nil {
				t.Fatal(err)
			}
			return string(b[:n])
		})
		checkFormat(t, tt.format, got, tt.json)
	}
}

// openPTY returns the master and the terminal side of a new
// pseudo-terminal, closed when t ends.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlock pty: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("pty number: %v", e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}
