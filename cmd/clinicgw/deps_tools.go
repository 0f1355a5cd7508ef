//go:build tools

package main

// The project's fixed dependencies, pinned in go.mod before every one of
// them has a user in the build (card login, service install, live UI come
// with later issues). The "tools" tag keeps this file out of every build;
// `go mod tidy` still sees the imports and keeps the versions.
import (
	_ "github.com/ebfe/scard"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/gorilla/websocket"
	_ "github.com/kardianos/service"
	_ "github.com/miekg/pkcs11"
	_ "golang.org/x/crypto/ocsp"
)
