package awsemu

// Placeholders so the package builds while the services are written. Each
// service's author deletes its line here when adding its own file.
