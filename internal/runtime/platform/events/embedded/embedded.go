// Package embedded runs a NATS server with JetStream inside the process, for
// cmd/local and tests: Go is the only prerequisite. It listens on loopback
// only and stores streams in a directory, so events survive a restart.
package embedded

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a running embedded NATS server.
type Server struct {
	ns       *server.Server
	storeDir string
	port     int
}

// Start starts a server on 127.0.0.1:port (0 picks a free port) with its
// JetStream store in storeDir.
func Start(storeDir string, port int) (*Server, error) {
	if port == 0 {
		port = server.RANDOM_PORT
	} else {
		// A port another program holds would only show as a server never
		// ready: say so at once.
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("embedded NATS: %w", err)
		}
		ln.Close()
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "local",
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		where := "port " + strconv.Itoa(port)
		if port == server.RANDOM_PORT {
			where = "a free port"
		}
		return nil, fmt.Errorf("embedded NATS on %s with its store in %s: not ready after 15s; check that the store is writable and no other NATS server uses it, or start with another data directory", where, storeDir)
	}
	_, p, err := net.SplitHostPort(ns.Addr().String())
	if err != nil {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	actual, _ := strconv.Atoi(p)
	return &Server{ns: ns, storeDir: storeDir, port: actual}, nil
}

// URL is the client URL, "nats://127.0.0.1:<port>".
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Stop shuts the server down and waits until it is gone.
func (s *Server) Stop() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// Resume starts a stopped server again on the same port and store, as
// after a broker outage; clients reconnect by themselves.
func (s *Server) Resume() error {
	next, err := Start(s.storeDir, s.port)
	if err != nil {
		return err
	}
	*s = *next
	return nil
}
