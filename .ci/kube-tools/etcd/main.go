// Command etcd is the upstream etcd server, built from its pinned Go module for the real-control-plane tests.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
