package localui

import "testing"

func TestCheckBridge(t *testing.T) {
	for bridge, ok := range map[string]bool{
		"http://127.0.0.1:24727": true, "http://[::1]:24727": true, "http://localhost:24727": true,
		"https://127.0.0.1:24727": false, "http://10.0.0.5:24727": false, "http://127.0.0.1:24727/v1": false,
		"http://u@127.0.0.1:1": false, "http://127.0.0.1:1?x=1": false, "": false,
	} {
		if err := CheckBridge(bridge); (err == nil) != ok {
			t.Errorf("CheckBridge(%q) = %v, want ok %v", bridge, err, ok)
		}
	}
}
