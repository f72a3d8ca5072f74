// What nearly every test of this project imports, said once: status codes, JSON bodies, the shared fixtures.
global using System.Net;
global using System.Text.Json.Nodes;
global using CCApi.Testing;
