package gen

import (
	"math/rand/v2"
	"strings"
)

// .NET Framework 4.8 Exception.ToString() texts (docs/formats.md §6.1): inner exceptions on the
// same line after " ---> ", "   --- End of inner exception stack trace ---" closing them,
// "--- End of stack trace from previous location where exception was thrown ---" between async
// segments, SqlException/Win32Exception with their HRESULT, AggregateException's
// "---> (Inner Exception #n) ...<---" blocks. Lines are joined with "\n" (the renderers write
// each as its own line).

const (
	endInner  = "   --- End of inner exception stack trace ---"
	asyncSep  = "--- End of stack trace from previous location where exception was thrown ---"
	efMessage = "The model backing the 'AnalyticsEntitiesContext' context has changed since the database was created. Consider using Code First Migrations to update the database (http://go.microsoft.com/fwlink/?LinkId=238269)."
)

func frames(fs ...string) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte('\n')
		}
		if f == asyncSep || f == endInner {
			b.WriteString(f)
			continue
		}
		b.WriteString("   at ")
		b.WriteString(f)
	}
	return b.String()
}

// efInitFrames are Entity Framework 6's frames from the model check to the context constructor
// (as in the guide's 2020 screenshot, with the current context name).
var efInitFrames = []string{
	"System.Data.Entity.CreateDatabaseIfNotExists`1.InitializeDatabase(TContext context)",
	"System.Data.Entity.Internal.InternalContext.PerformInitializationAction(Action action)",
	"System.Data.Entity.Internal.InternalContext.PerformDatabaseInitialization()",
	"System.Data.Entity.Internal.RetryAction`1.PerformAction(TInput input)",
	"System.Data.Entity.Internal.LazyInternalContext.InitializeDatabaseAction(Action`1 action)",
	"System.Data.Entity.Internal.InternalContext.ForceOSpaceLoadingForKnownEntityTypes()",
	"System.Data.Entity.DbContext.System.Data.Entity.Infrastructure.IObjectContextAdapter.get_ObjectContext()",
	"Common.Entities.AnalyticsEntitiesContext..ctor(String dbName, Boolean isConnectionString, Boolean autoUpdate)",
}

// asyncMainTail is how an exception leaves the Activity importer's MainAsync through
// MainAsync(args).GetAwaiter().GetResult().
var asyncMainTail = []string{
	"WebJob.Office365ActivityImporter.Program.<MainAsync>d__1.MoveNext()",
	asyncSep,
	"System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()",
	"System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification(Task task)",
	"WebJob.Office365ActivityImporter.Program.Main(String[] args)",
}

// efModelChanged is the start-up crash of a job whose binaries are newer than the database schema.
func efModelChanged(job string) string {
	fs := append([]string(nil), efInitFrames...)
	if job == AppInsightsImporter {
		fs = append(fs,
			"Common.Entities.Config.AppConnectionStrings.TestSQLSettings(ILogger debugTracer)",
			"WebJob.AppInsightsImporter.Program.ValidateAndPrintConfig(AppConfig config, ILogger telemetry)",
			"WebJob.AppInsightsImporter.Program.Main(String[] args)")
	} else {
		fs = append(fs, "WebJob.Office365ActivityImporter.Program.TestDB(ILogger debugTracer)")
		fs = append(fs, asyncMainTail...)
	}
	return "System.InvalidOperationException: " + efMessage + "\n" + frames(fs...)
}

// entityOpenFailed is an EF EntityException wrapping a SqlException (network error) wrapping
// a Win32Exception, thrown by the Activity importer's TestDB.
func entityOpenFailed(r *rand.Rand) string {
	sqlFrames := frames(
		"System.Data.SqlClient.SqlInternalConnectionTds..ctor(DbConnectionPoolIdentity identity, SqlConnectionString connectionOptions, SqlCredential credential, Object providerInfo, String newPassword, SecureString newSecurePassword, Boolean redirectedUserInstance, SqlConnectionString userConnectionOptions, SessionData reconnectSessionData, DbConnectionPool pool, String accessToken, Boolean applyTransientFaultHandling, SqlAuthenticationProviderManager sqlAuthProviderManager)",
		"System.Data.SqlClient.SqlConnectionFactory.CreateConnection(DbConnectionOptions options, DbConnectionPoolKey poolKey, Object poolGroupProviderInfo, DbConnectionPool pool, DbConnection owningConnection, DbConnectionOptions userOptions)",
		"System.Data.ProviderBase.DbConnectionFactory.CreatePooledConnection(DbConnectionPool pool, DbConnection owningObject, DbConnectionOptions options, DbConnectionPoolKey poolKey, DbConnectionOptions userOptions)",
		"System.Data.ProviderBase.DbConnectionPool.CreateObject(DbConnection owningObject, DbConnectionOptions userOptions, DbConnectionInternal oldConnection)",
		"System.Data.ProviderBase.DbConnectionPool.UserCreateRequest(DbConnection owningObject, DbConnectionOptions userOptions, DbConnectionInternal oldConnection)",
		"System.Data.ProviderBase.DbConnectionPool.TryGetConnection(DbConnection owningObject, UInt32 waitForMultipleObjectsTimeout, Boolean allowCreate, Boolean onlyOneCheckConnection, DbConnectionOptions userOptions, DbConnectionInternal& connection)",
		"System.Data.ProviderBase.DbConnectionPool.TryGetConnection(DbConnection owningObject, TaskCompletionSource`1 retry, DbConnectionOptions userOptions, DbConnectionInternal& connection)",
		"System.Data.ProviderBase.DbConnectionFactory.TryGetConnection(DbConnection owningConnection, TaskCompletionSource`1 retry, DbConnectionOptions userOptions, DbConnectionInternal oldConnection, DbConnectionInternal& connection)",
		"System.Data.ProviderBase.DbConnectionInternal.TryOpenConnectionInternal(DbConnection outerConnection, DbConnectionFactory connectionFactory, TaskCompletionSource`1 retry, DbConnectionOptions userOptions)",
		"System.Data.SqlClient.SqlConnection.TryOpenInner(TaskCompletionSource`1 retry)",
		"System.Data.SqlClient.SqlConnection.TryOpen(TaskCompletionSource`1 retry)",
		"System.Data.SqlClient.SqlConnection.Open()",
		"System.Data.Entity.Infrastructure.Interception.InternalDispatcher`1.Dispatch[TTarget,TInterceptionContext](TTarget target, Action`2 operation, TInterceptionContext interceptionContext, Action`3 executing, Action`3 executed)",
		"System.Data.Entity.Infrastructure.Interception.DbConnectionDispatcher.Open(DbConnection connection, DbInterceptionContext interceptionContext)",
		"System.Data.Entity.Core.EntityClient.EntityConnection.<Open>b__55_0()",
		"System.Data.Entity.SqlServer.DefaultSqlExecutionStrategy.Execute(Action operation)",
		"System.Data.Entity.Core.EntityClient.EntityConnection.Open()",
	)
	outer := frames(append([]string{
		"System.Data.Entity.Core.EntityClient.EntityConnection.Open()",
		"System.Data.Entity.Core.Objects.ObjectContext.EnsureConnection(Boolean shouldMonitorTransactions)",
		"System.Data.Entity.Core.Objects.ObjectContext.ExecuteInTransaction[TResult](Func`1 func, IDbExecutionStrategy executionStrategy, Boolean startLocalTransaction, Boolean releaseConnectionOnSuccess)",
		"System.Data.Entity.Core.Objects.ObjectQuery`1.<>c__DisplayClass41_0.<GetResults>b__0()",
		"System.Data.Entity.SqlServer.DefaultSqlExecutionStrategy.Execute[TResult](Func`1 operation)",
		"System.Data.Entity.Core.Objects.ObjectQuery`1.GetResults(Nullable`1 forMergeOption)",
		"System.Data.Entity.Core.Objects.ObjectQuery`1.<System.Collections.Generic.IEnumerable<T>.GetEnumerator>b__31_0()",
		"System.Data.Entity.Internal.LazyEnumerator`1.MoveNext()",
		"System.Linq.Enumerable.Single[TSource](IEnumerable`1 source)",
		"System.Data.Entity.Core.Objects.ELinq.ObjectQueryProvider.<GetElementFunction>b__4[TResult](IEnumerable`1 sequence)",
		"System.Data.Entity.Core.Objects.ELinq.ObjectQueryProvider.ExecuteSingle[TResult](IEnumerable`1 query, Expression queryRoot)",
		"System.Data.Entity.Core.Objects.ELinq.ObjectQueryProvider.System.Linq.IQueryProvider.Execute[TResult](Expression expression)",
		"System.Data.Entity.Internal.Linq.DbQueryProvider.Execute[TResult](Expression expression)",
		"System.Linq.Queryable.Count[TSource](IQueryable`1 source)",
		"WebJob.Office365ActivityImporter.Program.TestDB(ILogger debugTracer)",
	}, asyncMainTail...)...)
	return "System.Data.Entity.Core.EntityException: The underlying provider failed on Open. ---> " +
		"System.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific error occurred while establishing a connection to SQL Server. The server was not found or was not accessible. Verify that the instance name is correct and that SQL Server is configured to allow remote connections. (provider: Named Pipes Provider, error: 40 - Could not open a connection to SQL Server) ---> " +
		"System.ComponentModel.Win32Exception (0x80004005): The network path was not found\n" +
		endInner + "\n" + sqlFrames + "\n" +
		"ClientConnectionId:" + guid(r) + "\nError Number:53,State:0,Class:20\n" +
		endInner + "\n" + outer
}

// aggregateKeyVault is an AggregateException (from a .Result on a Key Vault call in the
// configuration constructor) escaping the Activity importer at start-up.
func aggregateKeyVault() string {
	inner := "Azure.Identity.CredentialUnavailableException: ManagedIdentityCredential authentication unavailable. No response received from the managed identity endpoint."
	innerFrames := frames(
		"Azure.Identity.CredentialDiagnosticScope.FailWrapAndThrow(Exception ex, String additionalMessage, Boolean isCredentialUnavailable)",
		"Azure.Identity.ManagedIdentityCredential.<GetTokenImplAsync>d__21.MoveNext()",
		asyncSep,
		"System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()",
		"System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification(Task task)",
		"Azure.Core.Pipeline.BearerTokenAuthenticationPolicy.AccessTokenCache.<GetHeaderValueFromCredentialAsync>d__14.MoveNext()",
		asyncSep,
		"System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()",
		"System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification(Task task)",
		"Azure.Security.KeyVault.Secrets.SecretClient.<GetSecretAsync>d__12.MoveNext()",
	)
	outerFrames := frames(
		"System.Threading.Tasks.Task.ThrowIfExceptional(Boolean includeTaskCanceledExceptions)",
		"System.Threading.Tasks.Task`1.GetResultCore(Boolean waitCompletionNotification)",
		"System.Threading.Tasks.Task`1.get_Result()",
		"Common.Entities.Config.AppConfig..ctor()",
		"WebJob.Office365ActivityImporter.Program.<MainAsync>d__1.MoveNext()",
		asyncSep,
		"System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()",
		"System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification(Task task)",
		"WebJob.Office365ActivityImporter.Program.Main(String[] args)",
	)
	// AggregateException.ToString: base text, then for each inner exception
	// NewLine + "---> (Inner Exception #i) " + inner.ToString() + "<---" + NewLine.
	return "System.AggregateException: One or more errors occurred. ---> " + inner + "\n" + innerFrames + "\n" +
		endInner + "\n" + outerFrames + "\n" +
		"---> (Inner Exception #0) " + inner + "\n" + innerFrames + "<---\n"
}

// redisCrash is a StackExchange.Redis connection failure escaping the Activity importer's
// main loop (RedisStatsDatesLoader is created outside any try block).
func redisCrash() string {
	return "StackExchange.Redis.RedisConnectionException: It was not possible to connect to the redis server(s). UnableToConnect on contoso-redis.redis.cache.windows.net:6380/Interactive, Initializing/NotStarted, last: NONE, origin: BeginConnectAsync, outstanding: 0, last-read: 5s ago, last-write: 5s ago, keep-alive: 60s, state: Connecting, mgr: 10 of 10 available, last-heartbeat: never, global: 5s ago, v: 2.2.4.27433\n" +
		frames(
			"StackExchange.Redis.ConnectionMultiplexer.ConnectImpl(ConfigurationOptions configuration, TextWriter log)",
			"StackExchange.Redis.ConnectionMultiplexer.Connect(String configuration, TextWriter log)",
			"WebJob.Office365ActivityImporter.Engine.StatsUploader.RedisStatsDatesLoader..ctor(AppConfig appConfig)",
		) + "\n" + frames(asyncMainTail...)
}
