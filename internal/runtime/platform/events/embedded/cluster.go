package embedded

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ClusterName is the cluster name every node of a Cluster shares.
const ClusterName = "local"

// clusterReadyTimeout bounds how long StartCluster and Resume wait for the
// JetStream meta leader: a first election takes a few seconds.
const clusterReadyTimeout = 30 * time.Second

// Cluster is a JetStream cluster of embedded NATS servers on loopback, the
// topology of a production NATS cluster on one machine: streams created with
// Replicas 3 keep every message on three nodes and survive the loss of one.
// cmd/local runs it instead of the single server to try scale-out, and
// tests stop and resume single nodes to see what a broker failure does.
type Cluster struct {
	nodes []*Node
	links []*link // every route between two nodes
}

// Node is one server of a Cluster.
type Node struct {
	name     string
	storeDir string
	port     int        // client port, fixed once the node first listened
	routes   []*url.URL // through links, to every other node
	links    []*link    // every link from or to this node
	incoming []*link    // the links to this node's route listener

	mu sync.Mutex
	ns *server.Server // nil while stopped
}

// StartCluster starts n servers on 127.0.0.1 that form one JetStream
// cluster, node i named "node-<i>" with its store in storeDir/node-<i>, and
// returns once the cluster elected its JetStream meta leader. ports are the
// client ports of the nodes (missing or 0 picks a free one); the nodes route
// between each other on free ports. A quorum needs a majority, so run 3 (or
// 5) nodes: with 3, any one may be stopped.
//
// Clients connect with Cluster.URLs; the servers tell them of each other, so
// a client whose node stops reconnects to another one (events.Connect keeps
// reconnecting for as long as the connection is open).
func StartCluster(storeDir string, n int, ports []int) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("embedded NATS cluster: %d nodes; run at least 1, 3 to survive the loss of one", n)
	}
	if len(ports) > n {
		return nil, fmt.Errorf("embedded NATS cluster: %d client ports for %d nodes", len(ports), n)
	}
	c := &Cluster{}
	for i := range n {
		node := &Node{
			name:     "node-" + strconv.Itoa(i),
			storeDir: filepath.Join(storeDir, "node-"+strconv.Itoa(i)),
		}
		if i < len(ports) {
			node.port = ports[i]
		}
		c.nodes = append(c.nodes, node)
	}
	// Node i routes to node j through a link of its own, which Kill cuts.
	// The links listen before any node starts, so every node knows where
	// to route; each one forwards to its node's route listener once it runs.
	for i, from := range c.nodes {
		for j, to := range c.nodes {
			if i == j {
				continue
			}
			l, err := newLink()
			if err != nil {
				c.Stop()
				return nil, fmt.Errorf("embedded NATS cluster: route from %s to %s: %w", from.name, to.name, err)
			}
			c.links = append(c.links, l)
			from.links = append(from.links, l)
			to.links = append(to.links, l)
			to.incoming = append(to.incoming, l)
			from.routes = append(from.routes, &url.URL{Scheme: "nats", Host: l.addr()})
		}
	}
	for _, node := range c.nodes {
		if err := node.start(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.waitReady(clusterReadyTimeout); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// URLs returns the client URLs of every node, comma-separated, as
// nats.Connect and NATS_URL take them: "nats://127.0.0.1:4222,nats://...".
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.nodes))
	for i, node := range c.nodes {
		urls[i] = node.URL()
	}
	return strings.Join(urls, ",")
}

// Len returns the number of nodes.
func (c *Cluster) Len() int { return len(c.nodes) }

// Node returns node i (0-based).
func (c *Cluster) Node(i int) *Node { return c.nodes[i] }

// NodeNamed returns the node with the server name name ("node-1", as a
// stream's cluster info names its leader), or nil.
func (c *Cluster) NodeNamed(name string) *Node {
	for _, node := range c.nodes {
		if node.name == name {
			return node
		}
	}
	return nil
}

// Stop shuts every node down and waits until they are gone.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for _, node := range c.nodes {
		wg.Go(node.Stop)
	}
	wg.Wait()
	for _, l := range c.links {
		l.close()
	}
}

// Name is the node's server name, "node-<i>".
func (n *Node) Name() string { return n.name }

// URL is the node's client URL, "nats://127.0.0.1:<port>".
func (n *Node) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(n.port) }

// Running reports whether the node runs (it was not stopped, or resumed).
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ns != nil
}

// Stop shuts the node down as a server does on SIGTERM, and waits until
// it is gone: it first hands the leadership of the streams and consumers it
// leads to other nodes, so clients barely notice. The other nodes keep
// serving while they hold a quorum. Stopping a stopped node does nothing.
func (n *Node) Stop() {
	n.mu.Lock()
	ns := n.ns
	n.ns = nil
	n.mu.Unlock()
	if ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
	}
}

// Kill stops the node as a crash (SIGKILL, a lost machine) would: its
// routes to the other nodes drop before it can hand anything over, so they
// find out by missing heartbeats and elect new leaders for what it led, which
// takes seconds. Its clients lose their connection at once. Killing a stopped
// node does nothing.
func (n *Node) Kill() {
	if !n.Running() {
		return
	}
	for _, l := range n.links {
		l.cut(true)
	}
	n.Stop()
}

// Resume starts a stopped or killed node again on the same ports and store,
// and returns once it has rejoined the cluster (it knows the meta leader
// and caught up with it); the streams it holds catch up in the background.
func (n *Node) Resume() error {
	if n.Running() {
		return fmt.Errorf("embedded NATS cluster: %s is running", n.name)
	}
	for _, l := range n.links {
		l.cut(false)
	}
	if err := n.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(clusterReadyTimeout)
	for {
		n.mu.Lock()
		ns := n.ns
		n.mu.Unlock()
		if ns == nil {
			return fmt.Errorf("embedded NATS cluster: %s stopped while resuming", n.name)
		}
		if ns.JetStreamIsCurrent() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("embedded NATS cluster: %s resumed but has not rejoined the JetStream cluster after %s: %s", n.name, clusterReadyTimeout, n.state())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start starts the node's server and waits until it accepts clients.
func (n *Node) start() error {
	port := n.port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if n.port != 0 {
		// A port another program holds would only show as a server never
		// ready: say so at once.
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)))
		if err != nil {
			return fmt.Errorf("embedded NATS cluster: %s: %w", n.name, err)
		}
		ln.Close()
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: n.name,
		Host:       "127.0.0.1",
		Port:       port,
		Cluster: server.ClusterOpts{
			Name: ClusterName,
			Host: "127.0.0.1",
			Port: server.RANDOM_PORT,
			// Nodes route to each other only through their links, which
			// Kill cuts: none learns another's route port to bypass them.
			NoAdvertise: true,
		},
		Routes:    n.routes,
		JetStream: true,
		StoreDir:  n.storeDir,
		NoSigs:    true,
		NoLog:     true,
	})
	if err != nil {
		return fmt.Errorf("embedded NATS cluster: %s: %w", n.name, err)
	}
	ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		where := "a free port"
		if n.port != 0 {
			where = "port " + strconv.Itoa(n.port)
		}
		return fmt.Errorf("embedded NATS cluster: %s on %s with its store in %s: not ready after 15s; check that the port is free, the store is writable and no other NATS server uses it", n.name, where, n.storeDir)
	}
	for _, l := range n.incoming {
		l.setTarget(ns.ClusterAddr().String())
	}
	if n.port == 0 {
		_, p, err := net.SplitHostPort(ns.Addr().String())
		if err != nil {
			ns.Shutdown()
			return fmt.Errorf("embedded NATS cluster: %s: %w", n.name, err)
		}
		n.port, _ = strconv.Atoi(p)
	}
	n.mu.Lock()
	n.ns = ns
	n.mu.Unlock()
	return nil
}

// waitReady waits until one running node is the JetStream meta leader,
// every running node is current with it, and the leader counts every one
// online: until it heard from a peer, it refuses to place a stream's
// replicas there ("no suitable peers for placement, peer offline").
func (c *Cluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		leaders, current, running, online := 0, 0, 0, 0
		for _, node := range c.nodes {
			node.mu.Lock()
			ns := node.ns
			node.mu.Unlock()
			if ns == nil {
				continue
			}
			running++
			if ns.JetStreamIsLeader() {
				leaders++
				online = len(ns.JetStreamClusterPeers())
			}
			if ns.JetStreamIsCurrent() {
				current++
			}
		}
		if leaders == 1 && current == running && online == running {
			return nil
		}
		if time.Now().After(deadline) {
			states := make([]string, len(c.nodes))
			for i, node := range c.nodes {
				states[i] = node.name + " " + node.state()
			}
			return fmt.Errorf("embedded NATS cluster %q: not ready after %s: %d meta leaders, %d of %d nodes current, %d online for the leader (%s); check that the route ports are reachable on 127.0.0.1 and that no other server uses the stores", ClusterName, timeout, leaders, current, running, online, strings.Join(states, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// state describes the node for an error: its routes and JetStream state.
func (n *Node) state() string {
	n.mu.Lock()
	ns := n.ns
	n.mu.Unlock()
	if ns == nil {
		return "(stopped)"
	}
	role := "follower"
	if ns.JetStreamIsLeader() {
		role = "meta leader"
	}
	if !ns.JetStreamIsCurrent() {
		role += ", not current"
	}
	peers := map[string]bool{}
	if rz, err := ns.Routez(nil); err == nil {
		for _, r := range rz.Routes {
			peers[r.RemoteName] = true
		}
	}
	return fmt.Sprintf("(client port %d, route port %d, routed to %d of %d peers, %s)", n.port, ns.ClusterAddr().Port, len(peers), len(n.routes), role)
}

// link forwards the route connections of one node to another's route port
// and, while cut, refuses them and drops those it carried: the network
// between the two nodes fails.
type link struct {
	ln net.Listener

	mu      sync.Mutex
	target  string // the route listener of the node routed to; "" before it ran
	isCut   bool
	conns   map[net.Conn]bool
	closing bool
}

func newLink() (*link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &link{ln: ln, conns: map[net.Conn]bool{}}
	go l.serve()
	return l, nil
}

func (l *link) addr() string { return l.ln.Addr().String() }

// setTarget points the link at the route listener at addr.
func (l *link) setTarget(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.target = addr
}

func (l *link) serve() {
	for {
		in, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		go l.forward(in)
	}
}

// forward copies between in and a new connection to the target until
// either side closes or the link is cut.
func (l *link) forward(in net.Conn) {
	l.mu.Lock()
	target := l.target
	l.mu.Unlock()
	if target == "" {
		in.Close() // the node did not run yet: the router retries
		return
	}
	out, err := net.DialTimeout("tcp", target, time.Second)
	if err != nil {
		in.Close()
		return
	}
	if !l.track(in, out) {
		in.Close()
		out.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	in.Close()
	out.Close()
	<-done
	l.mu.Lock()
	delete(l.conns, in)
	delete(l.conns, out)
	l.mu.Unlock()
}

// track records the connections of a forward, or reports false when the
// link is cut or closed.
func (l *link) track(conns ...net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isCut || l.closing {
		return false
	}
	for _, c := range conns {
		l.conns[c] = true
	}
	return true
}

// cut fails the link (dropping its connections) or restores it.
func (l *link) cut(fail bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.isCut = fail
	if fail {
		for c := range l.conns {
			c.Close()
		}
	}
}

func (l *link) close() {
	l.mu.Lock()
	l.closing = true
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.ln.Close()
}
