// What nearly every test over the in-process gateway imports, said once: status codes, JSON bodies, the fixture, the helpers.
global using System.Net;
global using System.Text;
global using System.Text.Json.Nodes;
global using CCApi.Gateway.Tests.Fixtures;
global using CCApi.Testing;
