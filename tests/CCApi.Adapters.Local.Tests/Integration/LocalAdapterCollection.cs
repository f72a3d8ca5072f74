namespace CCApi.Adapters.Local.Tests.Integration;

[CollectionDefinition(Name)]
public sealed class LocalAdapterCollection : ICollectionFixture<LocalAdapterHost>
{
    public const string Name = "local adapter on RabbitMQ and Redis";
}
