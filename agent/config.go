package agent

import "clinicgw/agent/config"

// The gateway's configuration lives in clinicgw/agent/config, its one
// schema. These are names for it in the wiring's own vocabulary (an
// Agent is made from a Config), used by cmd/clinicgw and the tests; they
// declare nothing of their own, so the schema stays in one place.
type (
	Config         = config.Config
	UnitConfig     = config.Unit
	StoreConfig    = config.Store
	TokenKEKConfig = config.TokenKEK
	CentralConfig  = config.Central
	LoginConfig    = config.Login
	UIConfig       = config.UI
	NotifyConfig   = config.Notify
	ArchiveConfig  = config.Archive
	BackupConfig   = config.Backup
	AdminConfig    = config.Admin
	APIConfig      = config.API
	LogConfig      = config.Log
)

// Constants of the configuration; see package config.
const (
	ConfigFileName       = config.FileName
	DefaultStorePath     = config.DefaultStorePath
	DefaultKeyFile       = config.DefaultKeyFile
	DefaultSyncRetention = config.DefaultSyncRetention
	DefaultArchiveAt     = config.DefaultArchiveAt
	DefaultBackupAt      = config.DefaultBackupAt
	DefaultBackupKeep    = config.DefaultBackupKeep
	DefaultSyncLagLimit  = config.DefaultSyncLagLimit
	MinSyncLagLimit      = config.MinSyncLagLimit
	LogText              = config.LogText
	LogJSON              = config.LogJSON
)

// LoadConfig is config.Load.
func LoadConfig(path string) (*Config, error) { return config.Load(path) }

// DefaultConfig is config.Default.
func DefaultConfig(unitHSAID, unitName string) *Config { return config.Default(unitHSAID, unitName) }
