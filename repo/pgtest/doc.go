// Package pgtest gives tests a fresh, migrated PostgreSQL database each:
// a throwaway server per test binary (or WARDEN_TEST_DATABASE_URL's server)
// and one migrated template database copied for every NewDB.
//
// A package using it declares
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest
